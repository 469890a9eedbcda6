package plan

import (
	"errors"
	"fmt"
	"strings"
)

// Error classes of SplitWords.
var (
	ErrUnterminatedQuote = errors.New("no closing quotation")
	ErrTrailingBackslash = errors.New("no escaped character")
)

// SplitWords splits s into words like Python's shlex.split(s) (POSIX mode,
// no comments): blanks (space, tab, CR, LF) separate words; single quotes
// are literal; inside double quotes a backslash escapes \ " $ and ` (and
// is kept before any other character); outside quotes a backslash makes the
// next character literal. A quoted empty string is an empty word.
// Adjacent quoted and unquoted parts form one word.
func SplitWords(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("split %q: %w", s, ErrTrailingBackslash)
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("split %q: %w", s, ErrUnterminatedQuote)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j, err := doubleQuoted(s, i+1, &cur)
			if err != nil {
				return nil, err
			}
			i = j
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// doubleQuoted copies the double-quoted text starting at s[from] into cur
// and returns the index of the closing quote.
func doubleQuoted(s string, from int, cur *strings.Builder) (int, error) {
	for i := from; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i, nil
		case '\\':
			if i+1 < len(s) && strings.IndexByte(`\"$`+"`", s[i+1]) >= 0 {
				i++
				cur.WriteByte(s[i])
				continue
			}
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
		}
	}
	return 0, fmt.Errorf("split %q: %w", s, ErrUnterminatedQuote)
}

// ExpandArgs splits a *_args string into shell words and expands the ${}
// tokens of each word in the context of self. The words are the program's
// argv: `${.bootarg} "message quote"` gives two words.
func ExpandArgs(s, self string, r Resolver) ([]string, error) {
	words, err := SplitWords(s)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(words))
	for i, w := range words {
		if out[i], err = Expand(w, self, r); err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
	}
	return out, nil
}

// QuoteWord quotes w for a POSIX shell command line (like Python's
// pipes.quote): words of only safe characters are returned as they are,
// anything else is single-quoted with ' written as '"'"'. SplitWords
// reads the result back as the single word w, for any byte string.
func QuoteWord(w string) string {
	if w == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("@%+=:,./-_", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'"'"'`) + "'"
}
