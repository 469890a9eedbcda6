package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdNoSecret is "nosecret PATH...": no file under any PATH (a file, or a
// directory walked whole: records with their -wal and -shm, logs,
// documents) holds any of the words of $SECRET_WORDS (space-separated),
// byte for byte. It fails when it checked no file at all.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	words := strings.Fields(ts.Getenv("SECRET_WORDS"))
	if neg || len(args) == 0 || len(words) == 0 {
		ts.Fatalf("usage: nosecret PATH... (with $SECRET_WORDS set)")
	}
	files := 0
	var hits []string
	for _, a := range args {
		err := filepath.WalkDir(ts.MkAbs(a), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			for _, w := range words {
				if i := bytes.Index(b, []byte(w)); i >= 0 {
					hits = append(hits, fmt.Sprintf("%s holds the secret %q at byte %d", p, w, i))
				}
			}
			return nil
		})
		ts.Check(err)
	}
	if files == 0 {
		ts.Fatalf("nosecret: no file under %v", args)
	}
	if len(hits) > 0 {
		ts.Fatalf("%d secrets found in %d files:\n%s", len(hits), files, strings.Join(hits, "\n"))
	}
	ts.Logf("nosecret: %d files checked", files)
}

// cmdSecretWord is "secretword FILE": the content of FILE (a secret
// captured by a boot program, without its line end) joins $SECRET_WORDS.
func cmdSecretWord(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: secretword FILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	w := strings.TrimSpace(string(b))
	if len(w) < 8 || strings.ContainsAny(w, " \t\n") {
		ts.Fatalf("secretword: %s does not hold one word of 8 bytes or more", args[0])
	}
	ts.Setenv("SECRET_WORDS", ts.Getenv("SECRET_WORDS")+" "+w)
}
