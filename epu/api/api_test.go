package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestTokensDiffer(t *testing.T) {
	a, _ := ServiceToken("s1", "provisioner")
	b, _ := ServiceToken("s1", "epu-sleeper")
	c, _ := ServiceToken("s2", "provisioner")
	n, _ := NodeToken("s1", "provisioner")
	if a == b || a == c || a == n {
		t.Fatal("tokens of different services, secrets or scopes must differ")
	}
	if _, err := ServiceToken("", "x"); err == nil {
		t.Fatal("a token from no secret")
	}
}

func TestTokenFileMode(t *testing.T) {
	dir := t.TempDir()
	if err := WriteToken(dir, "abc"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if got, err := ReadToken(dir); err != nil || got != "abc" {
		t.Fatalf("ReadToken = %q, %v", got, err)
	}
}

func TestAuthAndErrors(t *testing.T) {
	auth := NewAuthenticator("admintok")
	auth.AddNode("d1", "nodetok")
	mux := http.NewServeMux()
	mux.Handle("POST /v1/x", auth.Admin(Handle(func(r *http.Request) (any, error) {
		var in struct {
			N int `json:"n"`
		}
		if err := Decode(r, &in); err != nil {
			return nil, err
		}
		return map[string]int{"n": in.N + 1}, nil
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	var out map[string]int
	if err := (&Client{BaseURL: srv.URL, Token: "admintok"}).Call(ctx, "POST", "/v1/x", map[string]int{"n": 1}, &out); err != nil || out["n"] != 2 {
		t.Fatalf("admin call: %v %v", out, err)
	}
	for _, tok := range []string{"", "nodetok", "wrong"} {
		err := (&Client{BaseURL: srv.URL, Token: tok}).Call(ctx, "POST", "/v1/x", map[string]int{"n": 1}, nil)
		if !IsStatus(err, 401) {
			t.Errorf("token %q: %v, want 401", tok, err)
		}
	}
	err := (&Client{BaseURL: srv.URL, Token: "admintok"}).Call(ctx, "POST", "/v1/x", map[string]any{"n": "one"}, nil)
	var e *Error
	if !IsStatus(err, 400) || !asErr(err, &e) || e.Field != "n" {
		t.Errorf("bad type: %v, want 400 naming n", err)
	}
	err = (&Client{BaseURL: srv.URL, Token: "admintok"}).Call(ctx, "POST", "/v1/x", map[string]any{"m": 1}, nil)
	if !IsStatus(err, 400) || !asErr(err, &e) || e.Field != "m" {
		t.Errorf("unknown field: %v, want 400 naming m", err)
	}
}

func asErr(err error, e **Error) bool {
	for err != nil {
		if x, ok := err.(*Error); ok {
			*e = x
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}
