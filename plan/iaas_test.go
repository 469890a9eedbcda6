package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testIaaS knows the drivers local, fake and ec2 (alias aws), regions
// us-*, and with iaas_url any value, as a program's registry would.
var testIaaS = &IaaS{
	Names: []string{"aws", "ec2", "fake", "local"},
	Known: func(v string, endpoint bool) bool {
		v = strings.ToLower(v)
		return endpoint || v == "" || slices.Contains([]string{"aws", "ec2", "fake", "local"}, v) || strings.HasPrefix(v, "us-")
	},
}

// TestLoadUnknownIaaS: an iaas value no driver serves is an error at load,
// at the key that set it, with the closest name; values the drivers know,
// values with iaas_url and ${} values known only at run time are not.
func TestLoadUnknownIaaS(t *testing.T) {
	files := map[string]string{
		"top.conf": "[defaults]\nimage: img\niaas: fak\n[globals]\ncloud: lokall\n" +
			"[runlevels]\nlevel1: level1.conf\nlevel2: level2.conf\n",
		"level1.conf": "[svc-typo]\niaas: lokal\n\n[svc-default1]\n\n[svc-default2]\n\n" +
			"[svc-region]\niaas: US-West-2\n\n[svc-own]\niaas: RegionOne\niaas_url: https://cloud.example.org\n\n" +
			"[svc-noregion]\niaas: RegionOne\n\n[svc-global]\niaas: ${global.cloud}\n",
		"level2.conf": "[svc-later]\niaas: ${typo.hostname}\n",
	}
	_, err := loadFiles(t, files, Options{IaaS: testIaaS})
	var got []string
	for _, p := range problemsOf(t, err) {
		got = append(got, p.Error())
	}
	want := []string{
		`level1.conf:2: [svc-typo] iaas: iaas "lokal" names no driver, alias or EC2 region; did you mean "local"?`,
		`level1.conf:16: [svc-noregion] iaas: iaas "RegionOne" names no driver, alias or EC2 region; use aws, ec2, fake, local, an EC2 region such as us-east-1, or set iaas_url for another EC2-compatible cloud`,
		`level1.conf:19: [svc-global] iaas: iaas "lokall" names no driver, alias or EC2 region; did you mean "local"?`,
		// [defaults] gives two services the same value: one problem.
		`top.conf:3: [defaults] iaas: iaas "fak" names no driver, alias or EC2 region; did you mean "fake"?`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// Without Options.IaaS the values are not checked.
	if _, err := loadFiles(t, files, Options{}); err != nil {
		t.Errorf("Load without IaaS: %v", err)
	}
}
