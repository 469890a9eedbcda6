package plan

import "strings"

// CompareNames orders names as people read them: runs of digits compare
// by their numeric value, so the replica worker-2 comes before worker-10
// and run-9 before run-10. Otherwise bytes compare as strings.Compare
// does; names equal but for leading zeros order by their length. Every
// list of service, replica or run names is sorted with it.
func CompareNames(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da == 0 || db == 0 {
			if a[0] != b[0] {
				return cmpByte(a[0], b[0])
			}
			a, b = a[1:], b[1:]
			continue
		}
		na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
		if len(na) != len(nb) {
			return cmpInt(len(na), len(nb))
		}
		if c := strings.Compare(na, nb); c != 0 {
			return c
		}
		if da != db { // 007 after 7
			return cmpInt(da, db)
		}
		a, b = a[da:], b[db:]
	}
	return cmpInt(len(a), len(b))
}

// digits is the length of the run of ASCII digits that starts s.
func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func cmpByte(a, b byte) int {
	if a < b {
		return -1
	}
	return 1
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
