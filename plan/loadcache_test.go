package plan

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// levelsPlan is a plan of 6 levels whose services share a good deps file,
// a deps file without [deps] and one that does not parse, read env.NAME
// values (set and unset), name missing programs and unknown keys: every
// level file reports problems, some the same as another level's.
func levelsPlan(valid bool) map[string]string {
	files := map[string]string{
		"good.conf":   "[deps]\nname: ${.name}\nkey: env.DEP_SET\n",
		"nodeps.conf": "[other]\nx: 1\n",
		"broken.conf": "[deps\nx: 1\n",
		"boot.sh":     "#!/bin/sh\n",
	}
	var top strings.Builder
	top.WriteString("[defaults]\niaas: fake\nimage: img\nbootpgm: boot.sh\ndeps: good.conf\n\n[runlevels]\n")
	for lv := 1; lv <= 6; lv++ {
		fmt.Fprintf(&top, "level%d: level%d.conf\n", lv, lv)
		var b strings.Builder
		for i := range 5 {
			fmt.Fprintf(&b, "[svc-l%ds%d]\nallocation: env.ALLOC_SET\nimage: env.IMAGE_UNSET\n", lv, i)
			if !valid {
				fmt.Fprintf(&b, "readypgm: missing%d.sh\nbogus_key: 1\ndeps1: nodeps.conf\ndeps2: broken.conf\n", i%2)
			}
			if lv > 1 {
				fmt.Fprintf(&b, "bootpgm_args: ${l%ds%d.name}\n", lv-1, i)
			}
			b.WriteString("\n")
		}
		files[fmt.Sprintf("level%d.conf", lv)] = b.String()
	}
	files["top.conf"] = top.String()
	return files
}

// TestLoadLevelsConcurrently: level files loaded at once give the plan,
// errors and warnings of level files loaded one after the other, and the
// environment is read one lookup at a time (the race detector watches the
// lookup function's unguarded map).
func TestLoadLevelsConcurrently(t *testing.T) {
	for _, valid := range []bool{true, false} {
		t.Run(fmt.Sprintf("valid=%v", valid), func(t *testing.T) {
			top := writeFiles(t, t.TempDir(), levelsPlan(valid))
			load := func(workers int) (*Plan, error, map[string]int) {
				asked := map[string]int{} // not safe for concurrent use, on purpose
				env := func(name string) (string, bool) {
					asked[name]++
					if strings.HasSuffix(name, "_SET") {
						return "v-" + name, true
					}
					return "", false
				}
				p, err := loadPlan(context.Background(), top, Options{LookupEnv: env}, workers)
				return p, err, asked
			}
			want, wantErr, wantAsked := load(1)
			if valid != (wantErr == nil) {
				t.Fatalf("one level at a time: %v", wantErr)
			}
			for range 5 {
				got, gotErr, gotAsked := load(4)
				if diff := cmp.Diff(fmt.Sprint(wantErr), fmt.Sprint(gotErr)); diff != "" {
					t.Errorf("error (-one at a time +at once):\n%s", diff)
				}
				if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Plan{})); diff != "" {
					t.Errorf("plan (-one at a time +at once):\n%s", diff)
				}
				if diff := cmp.Diff(wantAsked, gotAsked); diff != "" {
					t.Errorf("environment lookups (-one at a time +at once):\n%s", diff)
				}
			}
			if !valid {
				ps := problemsOf(t, wantErr)
				var text []string
				for _, p := range ps {
					text = append(text, p.Error())
				}
				all := strings.Join(text, "\n")
				for _, want := range []string{"no [deps] section", "broken.conf", "missing0.sh", "missing1.sh"} {
					if !strings.Contains(all, want) {
						t.Errorf("problems lack %q:\n%s", want, all)
					}
				}
			}
		})
	}
}
