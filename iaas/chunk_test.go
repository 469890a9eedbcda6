package iaas_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
)

func TestChunk(t *testing.T) {
	refs := func(ids ...string) []iaas.Ref {
		out := make([]iaas.Ref, len(ids))
		for i, id := range ids {
			out[i] = iaas.Ref{ID: id}
		}
		return out
	}
	cases := []struct {
		name string
		in   []iaas.Ref
		n    int
		want [][]iaas.Ref
	}{
		{"empty", nil, 3, nil},
		{"one piece", refs("a", "b"), 3, [][]iaas.Ref{refs("a", "b")}},
		{"exact", refs("a", "b", "c", "d"), 2, [][]iaas.Ref{refs("a", "b"), refs("c", "d")}},
		{"remainder", refs("a", "b", "c", "d", "e"), 2, [][]iaas.Ref{refs("a", "b"), refs("c", "d"), refs("e")}},
		{"n below 1", refs("a", "b"), 0, [][]iaas.Ref{refs("a", "b")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := iaas.Chunk(tc.in, tc.n)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Chunk(%d) (-want +got):\n%s", tc.n, diff)
			}
		})
	}
	// Appending to a piece must not overwrite the next one.
	in := refs("a", "b", "c", "d")
	pieces := iaas.Chunk(in, 2)
	_ = append(pieces[0], iaas.Ref{ID: "z"})
	if in[2].ID != "c" {
		t.Errorf("append to a piece overwrote the input: %v", in)
	}
}
