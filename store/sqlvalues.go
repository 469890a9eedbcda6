package store

import (
	"database/sql"
	"time"
)

// timeLayout is how times are stored: UTC, RFC 3339 with nanoseconds, so
// that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// stamp formats t in timeLayout, as t.UTC().Format(timeLayout) does for
// the years 0 to 9999, without interpreting the layout: a boot stamps
// every journal row of its steps (time.Format was 5 % of the CPU of a
// 10,000-service boot). Other years take Format.
func stamp(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(timeLayout)
	}
	hour, minute, sec := t.Clock()
	var b [len(timeLayout)]byte
	put := func(i, n, width int) {
		for k := i + width - 1; k >= i; k-- {
			b[k] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond(), 9)
	b[29] = 'Z'
	return string(b[:])
}

func parseStamp(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s.String)
	}
	return t
}

// null maps "" to SQL NULL, so that unset columns read as NULL in sqlite3.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
