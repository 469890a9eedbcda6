package plan

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRowOrder: a bag is expanded in order, a row seeing the rows before it
// and then the service's fields; settings see the whole bag.
func TestRowOrder(t *testing.T) {
	p := mustLoad(t, "roworder")
	x := NewExpander(p.Resolver(""))
	got, err := x.Bag("web")
	if err != nil {
		t.Fatal(err)
	}
	want := rows(
		"first", "ami-row", // no image row yet: the image field
		"name", "web", // the name field
		"label", "web-ami-row", // earlier rows
		"image", "custom-ami-row",
		"later", "custom-ami-row", // deps2.conf sees deps.conf's image row
	)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bag (-want +got):\n%s", diff)
	}
	args, err := ExpandArgs(p.Service("web").Args(BootPgm), "web", p.Resolver(""))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"custom-ami-row", "web", "custom-ami-row"}, args); diff != "" {
		t.Errorf("bootpgm_args (the whole bag) (-want +got):\n%s", diff)
	}
}

// TestOwnNameIdiom: plans shaped like ooici/launch-plans' sandbox/sleepers
// (replicas) and sandbox/multiple_provisioners (sections sharing a deps
// file) give each service its own name through `name: ${.name}`.
func TestOwnNameIdiom(t *testing.T) {
	p := mustLoad(t, "sleepers")
	for i := range 3 {
		name := fmt.Sprintf("sleeper-%d", i)
		bag, err := NewExpander(p.Resolver("")).Bag(name)
		if err != nil {
			t.Fatal(err)
		}
		want := rows("exchange_scope", "sandbox", "name", name, "queue", "sandbox-"+name, "broker", "${basenode.hostname}")
		if diff := cmp.Diff(want, bag); diff != "" {
			t.Errorf("%s bag (-want +got):\n%s", name, diff)
		}
		args, err := ExpandArgs(p.Service(name).Args(BootPgm), name, p.Resolver(""))
		if err != nil || !cmp.Equal(args, []string{name, "sandbox-" + name}) {
			t.Errorf("%s bootpgm_args = %q, %v", name, args, err)
		}
	}
	p = mustLoad(t, "multiprov")
	for i := range 3 {
		name := fmt.Sprintf("provisioner-%d", i)
		bag, err := NewExpander(p.Resolver("")).Bag(name)
		if err != nil {
			t.Fatal(err)
		}
		// archive_url (deps1) comes before the name row (deps3): it gets
		// the name field, which is the same.
		want := rows("archive_url", "http://packages.example.org/"+name+".tar.gz", "name", name)
		if diff := cmp.Diff(want, bag); diff != "" {
			t.Errorf("%s bag (-want +got):\n%s", name, diff)
		}
	}
}

// TestExpanderRows pins the row rule on a resolver of its own: what a row
// may see, and the errors when it looks ahead.
func TestExpanderRows(t *testing.T) {
	r := &fakeResolver{
		fields: map[string]map[string]string{"s": {
			"name": "s-1", "image": "ami-1", "hostname": unsetValue,
			"bootpgm_args": "${.late}", "readypgm_args": "${.a}", "terminatepgm_args": "${global.g}",
		}},
		rows: map[string][]Row{"s": rows(
			"a", "A",
			"name", "${.name}", // own key, a field: the field
			"image", "x-${.image}", // own key, a field: the field
			"b", "${.a}/${.name}/${.image}/${.hostname}", // earlier rows; hostname stays
			"self", "${.self}", // own key, no field
			"fwd", "${.late}", // a later row
			"viafield", "${.bootpgm_args}", // a field that needs a later row
			"viaglobal", "${global.g}", // a global that needs a later row
			"late", "L",
			"okfield", "${.readypgm_args}", // a field that needs an earlier row
			"nothing", "${.nowhere}", // neither a row nor a field
			"after", "${.late}${.viafield}",
		)},
		globals: map[string]string{"g": "${.late}"},
	}
	tests := []struct {
		row  int
		want string
		is   error
	}{
		{1, "s-1", nil},
		{2, "x-ami-1", nil},
		{3, "A/s-1/x-ami-1/${.hostname}", nil},
		{4, `${.self}: service "s" has no attribute "self" yet: a bag row sees the rows before it, not itself`, ErrLaterRow},
		{5, `${.late}: service "s" has no attribute "late" yet: a bag row sees only the rows before it, and "late" comes later`, ErrLaterRow},
		{6, `${.bootpgm_args}: "bootpgm_args" of service "s" uses its row "late", which is not before this row: a bag row sees only the rows before it`, ErrLaterRow},
		{7, `${global.g}: global g of service "s" uses its row "late", which is not before this row: a bag row sees only the rows before it`, ErrLaterRow},
		{9, "A", nil},
		{10, `${.nowhere}: service "s" has no attribute "nowhere" yet: a bag row sees only the rows before it and the service's fields`, ErrUnknownAttr},
		{11, `${.viafield}: ${.bootpgm_args}: "bootpgm_args" of service "s" uses its row "late", which is not before this row: a bag row sees only the rows before it`, ErrLaterRow},
	}
	x := NewExpander(r)
	for _, tt := range tests {
		t.Run(r.rows["s"][tt.row].Key, func(t *testing.T) {
			got, err := x.Row("s", tt.row)
			if tt.is != nil {
				if !errors.Is(err, tt.is) {
					t.Fatalf("error %v, want %v", err, tt.is)
				}
				got = err.Error()
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// The settings see the whole bag: the last row of a key.
	for in, want := range map[string]string{"${.name}": "s-1", "${.image}": "x-ami-1", "${.bootpgm_args}": "L", "${.okfield}": "A"} {
		if got, err := x.Expand(in, "s"); err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
