package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// documentColumns are the stored columns cloudinit.d's -o document lists for
// each service (reference §1.12), by column name. iaas_key and iaas_secret
// are left out: secrets never reach a document.
var documentColumns = []string{"image", "iaas", "allocation", "keyname", "localkey", "username",
	"scp_username", "readypgm", "bootconf", "bootpgm", "securitygroups", "iaas_url",
	"state", "terminatepgm", "iaas_launch"}

// writeDocument writes the run document (-o FILE) in cloudinit.d's shape:
// {"levels": [{"level": 1, "services": [{...}]}]}, each service with its
// bag keys and stored columns, plus its name under "name". Values are
// strings; unset ones are null. Secret keys are left out, and secrets in
// other values (pre-${.iaas_secret}) are masked. For a dry run (dryRun) the
// values that bootout.json would have given are their ${} tokens, as the
// dry run shows them.
func writeDocument(ctx context.Context, db *store.DB, ro bootlevel.ResolverOptions, path string, dryRun bool) error {
	r, err := bootlevel.LoadResolverWith(ctx, db, ro)
	if err != nil {
		return err
	}
	if dryRun {
		r = r.DryRun()
	}
	svcs, err := db.Services(ctx)
	if err != nil {
		return err
	}
	type level struct {
		Level    int              `json:"level"`
		Services []map[string]any `json:"services"`
	}
	var levels []level
	for _, s := range svcs {
		if len(levels) == 0 || levels[len(levels)-1].Level != s.Level {
			levels = append(levels, level{Level: s.Level})
		}
		doc := map[string]any{"name": s.Name, "hostname": nullable(s.Hostname), "instance_id": nullable(s.InstanceID)}
		for _, col := range documentColumns {
			v, ok, _ := r.Lookup(s.Name, col)
			if ok && v != "" {
				doc[col] = ro.Secrets.Mask(v)
			} else {
				doc[col] = nil
			}
		}
		bag, err := r.Bag(s.Name)
		if err != nil {
			return fmt.Errorf("service %q: %w", s.Name, err)
		}
		for k, v := range bag {
			if plan.IsSecret(k) {
				continue
			}
			doc[k] = ro.Secrets.Mask(v) // a value expanded from a secret
		}
		levels[len(levels)-1].Services = append(levels[len(levels)-1].Services, doc)
	}
	b, err := json.MarshalIndent(map[string]any{"levels": levels}, "", "    ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cloudinitd-doc-*")
	if err != nil {
		return fmt.Errorf("output document: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("output document: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("output document: %w", err)
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
