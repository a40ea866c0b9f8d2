package bank

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// readIfMatch reads the If-Match header of a command (RFC 9110, section 13.1.1) as a
// condition on the account's version, whose ETag is "<version>":
//
//   - no header, or *: no condition (* matches any existing account, and an account
//     that does not exist is a 404 either way);
//   - a list of entity tags, "1", "2": the command runs if the account is at a
//     version one of them names;
//   - If-Match compares strongly: a weak tag (W/"1") never matches, nor does a tag
//     that names no version ("one", "0", "01"). Such a list is well-formed, and the
//     command gets a 412 like any stale version.
//
// Only a header that is not a list of entity tags at all is a 400.
func readIfMatch(c echo.Context) (Precondition, error) {
	values := c.Request().Header.Values("If-Match")
	if len(values) == 0 {
		return Precondition{}, nil
	}
	raw := strings.Join(values, ", ")
	if strings.TrimSpace(raw) == "*" {
		return Precondition{}, nil
	}
	tags, ok := entityTags(raw)
	if !ok {
		return Precondition{}, web.Problemf(http.StatusBadRequest,
			`If-Match must be * or a list of entity tags in double quotes, like "3" (the ETag of GET /accounts/{id}), got %q`, raw)
	}
	var versions []int64
	for _, tag := range tags {
		if v, ok := versionOf(tag); ok {
			versions = append(versions, v)
		}
	}
	return OnlyAt(versions...), nil
}

// entityTag is one element of an If-Match list.
type entityTag struct {
	weak   bool
	opaque string // between the double quotes
}

// entityTags splits a list of entity tags (RFC 9110: #entity-tag, where
// entity-tag = [ W/ ] DQUOTE *etagc DQUOTE). Empty elements are allowed and skipped,
// as the list syntax wants; anything else that is not an entity tag fails the list.
func entityTags(list string) ([]entityTag, bool) {
	var tags []entityTag
	rest := list
	for {
		rest = strings.TrimLeft(rest, " \t")
		switch {
		case rest == "":
			return tags, len(tags) > 0
		case rest[0] == ',':
			rest = rest[1:]
			continue
		}
		var tag entityTag
		tag.weak = strings.HasPrefix(rest, "W/")
		if tag.weak {
			rest = rest[2:]
		}
		if !strings.HasPrefix(rest, `"`) {
			return nil, false
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, false
		}
		tag.opaque = rest[1 : 1+end]
		if strings.IndexFunc(tag.opaque, func(r rune) bool { return !isETagChar(r) }) >= 0 {
			return nil, false
		}
		tags = append(tags, tag)
		rest = strings.TrimLeft(rest[2+end:], " \t")
		if rest != "" && rest[0] != ',' {
			return nil, false // two tags without a comma between them
		}
	}
}

// isETagChar is etagc: a visible ASCII character other than the double quote, or
// any byte from 0x80 (obs-text, here whatever non-ASCII text it decodes to).
func isETagChar(r rune) bool {
	return r == 0x21 || (r >= 0x23 && r <= 0x7e) || r >= 0x80
}

// versionOf is the version a tag names under strong comparison: the tag must be
// exactly the ETag "<version>" of an account at that version (no sign, no leading
// zero). A weak tag never matches.
func versionOf(tag entityTag) (int64, bool) {
	if tag.weak {
		return 0, false
	}
	v, err := strconv.ParseInt(tag.opaque, 10, 64)
	if err != nil || v < 1 || strconv.FormatInt(v, 10) != tag.opaque {
		return 0, false
	}
	return v, true
}
