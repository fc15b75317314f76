package inject

import (
	"strings"
)

// The line-level tests below tell plain block structure — what the value
// cache (yamlmap.go) decodes piece by piece — from YAML that must go to the
// library whole: tabs, anchors, tags, flow collections or quoted strings
// over several lines.

// Only small pieces are kept (large ones are quick to rebuild from their
// cached parts), and the cache starts over beyond maxCacheBytes, so that
// memory stays bounded whatever the stream.
const (
	maxPiece      = 1 << 10
	maxCacheBytes = 1 << 20
)

// oddToken reports an anchor, alias, tag, directive, block scalar or
// complex key indicator at the start of a token.
func oddToken(l string) bool {
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '&', '*', '!', '%', '@', '|', '>', '?':
			if i == 0 || strings.IndexByte(" [{,:-", l[i-1]) >= 0 {
				return true
			}
		}
	}
	return false
}

// simpleKey returns k for a line "  k:" whose key is plain letters, digits
// and _./- (a trailing space allowed).
func simpleKey(l string) (string, bool) {
	t := strings.TrimRight(strings.TrimLeft(l, " "), " ")
	if len(t) < 2 || t[len(t)-1] != ':' {
		return "", false
	}
	k := t[:len(t)-1]
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-') {
			return "", false
		}
	}
	return k, true
}

// chunkableText is chunkable of a string, line by line without splitting.
func chunkableText(src string) bool {
	for i := 0; i < len(src); i++ {
		if b := src[i]; (b < 0x20 && b != '\n') || b > 0x7e {
			return false
		}
	}
	for rest := src; ; {
		l := rest
		nl := strings.IndexByte(rest, '\n')
		if nl >= 0 {
			l, rest = rest[:nl], rest[nl+1:]
		}
		if !chunkableLine(l) {
			return false
		}
		if nl < 0 {
			return true
		}
	}
}

func chunkableLine(l string) bool {
	t := strings.TrimSpace(l)
	if t == "" || t[0] == '#' {
		return true
	}
	if strings.HasPrefix(l, "---") || strings.HasPrefix(l, "...") || strings.HasPrefix(t, "? ") || strings.HasSuffix(t, "|") || strings.HasSuffix(t, ">") ||
		strings.HasSuffix(t, "|-") || strings.HasSuffix(t, "|+") || strings.HasSuffix(t, ">-") || strings.HasSuffix(t, ">+") {
		return false
	}
	return !oddToken(l) && balanced(t)
}

// balanced reports whether quotes and brackets close on the line.
func balanced(t string) bool {
	depth := 0
	var q byte
	for i := 0; i < len(t); i++ {
		ch := t[i]
		switch {
		case q == '"':
			if ch == '\\' {
				i++
			} else if ch == '"' {
				q = 0
			}
		case q == '\'':
			if ch == '\'' {
				if i+1 < len(t) && t[i+1] == '\'' {
					i++
				} else {
					q = 0
				}
			}
		case ch == '#' && (i == 0 || t[i-1] == ' '):
			return depth == 0
		case ch == '"' || ch == '\'':
			// A quote inside a plain scalar is just a character.
			if i == 0 || strings.IndexByte(" :-[{,", t[i-1]) >= 0 {
				q = ch
			}
		case ch == '[' || ch == '{':
			depth++
		case ch == ']' || ch == '}':
			depth--
		}
	}
	return q == 0 && depth == 0
}

func isContent(l string) (string, bool) {
	t := strings.TrimSpace(l)
	return t, t != "" && t[0] != '#'
}

func plainKey(l string) bool {
	k, ok := simpleKey(l)
	return ok && plainOK(k)
}

// looksLikeEntry: "name: x" or "name:" starts a mapping.
func looksLikeEntry(t string) bool {
	if _, ok := simpleKey(t); ok {
		return true
	}
	i := strings.Index(t, ": ")
	if i < 0 {
		return false
	}
	_, ok := simpleKey(t[:i+1])
	return ok
}
