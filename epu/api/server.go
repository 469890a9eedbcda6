package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxBody bounds a request body.
const MaxBody = 1 << 20

// Scope is what a token may do.
type Scope int

// Scopes.
const (
	ScopeNone  Scope = iota
	ScopeNode        // a worker's calls on its domain
	ScopeAdmin       // everything
)

// Authenticator maps a bearer token to its scope. Comparisons are constant
// time.
type Authenticator struct {
	admin []string
	node  map[string][]string // domain → tokens
}

// NewAuthenticator accepts the admin tokens given.
func NewAuthenticator(admin ...string) *Authenticator {
	return &Authenticator{admin: admin, node: map[string][]string{}}
}

// AddNode accepts token as a node token of domain.
func (a *Authenticator) AddNode(domain, token string) { a.node[domain] = append(a.node[domain], token) }

// Scope returns what the request's bearer token may do; for ScopeNode,
// the domain it is scoped to.
func (a *Authenticator) Scope(r *http.Request) (Scope, string) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return ScopeNone, ""
	}
	for _, t := range a.admin {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			return ScopeAdmin, ""
		}
	}
	for d, ts := range a.node {
		for _, t := range ts {
			if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
				return ScopeNode, d
			}
		}
	}
	return ScopeNone, ""
}

// Admin wraps h so that only an admin token reaches it; anything else is
// answered 401 with the error shape.
func (a *Authenticator) Admin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, _ := a.Scope(r); s != ScopeAdmin {
			Unauthorized(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Unauthorized answers 401.
func Unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="epu"`)
	WriteError(w, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "missing or wrong bearer token"})
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing to do
}

// WriteError answers err in the error shape.
func WriteError(w http.ResponseWriter, err error) {
	e := asError(err)
	WriteJSON(w, e.Status, map[string]*Error{"error": e})
}

// Decode reads a JSON request body into v: unknown fields, trailing data
// and bodies over MaxBody are errors naming what is wrong, as a 400.
func Decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return BadField(te.Field, "want %s, got JSON %s", te.Type, te.Value)
		case errors.Is(err, io.EOF):
			return BadField("", "empty body: want a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return BadField(f, "unknown field")
		}
		return BadField("", "malformed JSON: %v", err)
	}
	if dec.More() {
		return BadField("", "trailing data after the JSON object")
	}
	return nil
}

// Handle adapts a function returning (answer, error) to a handler: the
// answer as 200 JSON, an error in the error shape.
func Handle(f func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			WriteError(w, err)
			return
		}
		WriteJSON(w, http.StatusOK, v)
	})
}

// URL is the address a daemon publishes (api_url) for a listener on addr.
func URL(addr string) string { return fmt.Sprintf("http://%s", addr) }
