package iaas

// Chunk splits s into consecutive pieces of at most n elements, in order,
// for drivers whose cloud caps the ids of one batch call. The pieces share
// s's backing array. n < 1 gives one piece; an empty s gives none.
func Chunk[T any](s []T, n int) [][]T {
	if len(s) == 0 {
		return nil
	}
	if n < 1 {
		n = len(s)
	}
	out := make([][]T, 0, (len(s)+n-1)/n)
	for len(s) > n {
		out = append(out, s[:n:n])
		s = s[n:]
	}
	return append(out, s)
}

// IDs returns the ids of refs, in order.
func IDs(refs []Ref) []string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return ids
}
