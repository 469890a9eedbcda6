package cli

import (
	"bytes"
	"testing"
)

func TestInvokedAs(t *testing.T) {
	var b bytes.Buffer
	w := InvokedAs(&b, "cid")
	w.Write([]byte("cloudinitd: hint: 'cloudinitd list' shows the runs recorded in /home/u/.cloudinitd\n"))
	w.Write([]byte("continue with: cloudinitd boot --resume r1 (record cloudinitd-r1.db, CLOUDINITD_RUN)\n"))
	want := "cid: hint: 'cid list' shows the runs recorded in /home/u/.cloudinitd\n" +
		"continue with: cid boot --resume r1 (record cloudinitd-r1.db, CLOUDINITD_RUN)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if InvokedAs(&b, "cloudinitd") != &b || InvokedAs(&b, "") != &b {
		t.Error("the program's own name rewrites")
	}
}
