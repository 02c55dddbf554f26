package model

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// ErrInvalidURL is the error NormalizeURL wraps, with detail, when it rejects
// its input. Test for it with errors.Is.
var ErrInvalidURL = errors.New("model: invalid URL")

// maxURLLen is the longest URL NormalizeURL returns, in bytes.
const maxURLLen = 2048

// NormalizeURL returns raw as an absolute http or https URL of at most 2048
// bytes, with the scheme and host lowercased.
//
// Input without a scheme gets "https://"; its host must then contain a dot,
// so that free text such as "n/a" is not taken for a URL. URLs with a user
// name or password are rejected. A non-ASCII host is returned
// percent-encoded, as net/url writes it.
func NormalizeURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidURL)
	}
	if len(s) > maxURLLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidURL, maxURLLen)
	}
	explicit := hasURLScheme(s)
	if !explicit {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: malformed", ErrInvalidURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: scheme %q is not http or https", ErrInvalidURL, u.Scheme)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w: user names and passwords are not allowed", ErrInvalidURL)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("%w: missing host", ErrInvalidURL)
	}
	if !validURLHost(host) {
		return "", fmt.Errorf("%w: bad host %q", ErrInvalidURL, host)
	}
	if !explicit && !strings.Contains(host, ".") {
		return "", fmt.Errorf("%w: host %q is not a domain name", ErrInvalidURL, host)
	}
	u.Host = strings.ToLower(u.Host)
	out := u.String()
	if len(out) > maxURLLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidURL, maxURLLen)
	}
	return out, nil
}

// hasURLScheme reports whether s starts with "scheme://".
func hasURLScheme(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return false
	}
	for i, r := range scheme {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// validURLHost reports whether host (without port or brackets) is an IP
// address or a name made of DNS labels; underscores are tolerated.
func validURLHost(host string) bool {
	if strings.Contains(host, ":") {
		addr, err := netip.ParseAddr(host)
		return err == nil && addr.Is6()
	}
	if len(host) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		// Underscores are not valid in host names but occur in the wild.
		if !validDomainLabel(strings.ReplaceAll(l, "_", "a")) {
			return false
		}
	}
	return true
}

// SocialNetwork names a network a contact has a profile on.
type SocialNetwork string

// The social networks Kontakt knows. SocialOther holds any profile URL.
const (
	SocialLinkedIn  SocialNetwork = "linkedin"
	SocialX         SocialNetwork = "x"
	SocialFacebook  SocialNetwork = "facebook"
	SocialInstagram SocialNetwork = "instagram"
	SocialGitHub    SocialNetwork = "github"
	SocialMastodon  SocialNetwork = "mastodon"
	SocialXing      SocialNetwork = "xing"
	SocialYouTube   SocialNetwork = "youtube"
	SocialTikTok    SocialNetwork = "tiktok"
	SocialOther     SocialNetwork = "other"
)

// SocialNetworks lists every valid SocialNetwork.
var SocialNetworks = []SocialNetwork{
	SocialLinkedIn, SocialX, SocialFacebook, SocialInstagram, SocialGitHub,
	SocialMastodon, SocialXing, SocialYouTube, SocialTikTok, SocialOther,
}

// Valid reports whether n is one of SocialNetworks.
func (n SocialNetwork) Valid() bool { return slices.Contains(SocialNetworks, n) }

// ErrInvalidSocial is the error NormalizeSocial wraps, with detail, when it
// rejects its input. Test for it with errors.Is.
var ErrInvalidSocial = errors.New("model: invalid social profile")

// socialSite describes where a network keeps its profiles and what its
// handles look like.
type socialSite struct {
	hosts    []string // hosts of profile URLs; their subdomains are accepted too
	path     string   // URL path in front of the handle
	base     string   // canonical profile URL, less the handle
	min, max int      // handle length in bytes
	extra    string   // characters allowed in handles besides ASCII letters and digits
}

// socialSites holds the networks with a profile URL pattern.
var socialSites = map[SocialNetwork]socialSite{
	SocialLinkedIn:  {[]string{"linkedin.com"}, "/in/", "https://www.linkedin.com/in/", 3, 100, "-_"},
	SocialX:         {[]string{"x.com", "twitter.com"}, "/", "https://x.com/", 1, 15, "_"},
	SocialFacebook:  {[]string{"facebook.com", "fb.com"}, "/", "https://www.facebook.com/", 5, 50, "."},
	SocialInstagram: {[]string{"instagram.com"}, "/", "https://www.instagram.com/", 1, 30, "._"},
	SocialGitHub:    {[]string{"github.com"}, "/", "https://github.com/", 1, 39, "-"},
	SocialXing:      {[]string{"xing.com"}, "/profile/", "https://www.xing.com/profile/", 1, 100, "_-."},
	SocialYouTube:   {[]string{"youtube.com"}, "/@", "https://www.youtube.com/@", 3, 30, "._-"},
	SocialTikTok:    {[]string{"tiktok.com"}, "/@", "https://www.tiktok.com/@", 2, 24, "._"},
}

// NormalizeSocial checks a social profile given as a handle ("@jana",
// "jana") or as a profile URL of the network, and returns the network, the
// bare handle (without "@") and the canonical profile URL, such as
// "https://github.com/jana". The network name is case-insensitive and
// "twitter" means SocialX.
//
// Mastodon handles are "@user@server" or "user@server", returned as
// "user@server" with the URL "https://server/@user". SocialOther takes only
// a URL, normalised by NormalizeURL, and returns an empty handle.
// Handles keep their case. Extra URL path after the handle, the query and
// the fragment are dropped.
func NormalizeSocial(network, handleOrURL string) (n SocialNetwork, handle, profileURL string, err error) {
	n = SocialNetwork(strings.ToLower(strings.TrimSpace(network)))
	if n == "twitter" {
		n = SocialX
	}
	if !n.Valid() {
		return "", "", "", fmt.Errorf("%w: unknown network %q", ErrInvalidSocial, network)
	}
	s := strings.TrimSpace(handleOrURL)
	if s == "" {
		return "", "", "", fmt.Errorf("%w: empty", ErrInvalidSocial)
	}
	switch n {
	case SocialOther:
		profileURL, err = NormalizeURL(s)
		if err != nil {
			return "", "", "", socialURLError(err)
		}
		return n, "", profileURL, nil
	case SocialMastodon:
		handle, profileURL, err = mastodonProfile(s)
	default:
		handle, profileURL, err = siteProfile(n, s)
	}
	if err != nil {
		return "", "", "", err
	}
	return n, handle, profileURL, nil
}

// siteProfile parses a handle or profile URL of network n.
func siteProfile(n SocialNetwork, s string) (handle, profileURL string, err error) {
	site := socialSites[n]
	if strings.Contains(s, "/") {
		u, err := parseProfileURL(s)
		if err != nil {
			return "", "", err
		}
		host := u.Hostname()
		if !slices.ContainsFunc(site.hosts, func(h string) bool { return host == h || strings.HasSuffix(host, "."+h) }) {
			return "", "", fmt.Errorf("%w: %q is not a profile host of this network", ErrInvalidSocial, u.Hostname())
		}
		rest, ok := strings.CutPrefix(u.Path, site.path)
		if !ok {
			return "", "", fmt.Errorf("%w: profile URLs look like %s<handle>", ErrInvalidSocial, site.base)
		}
		s, _, _ = strings.Cut(rest, "/")
		if n == SocialFacebook && s == "profile.php" {
			// A profile without a user name: its numeric id works as one.
			s = u.Query().Get("id")
		}
	} else {
		s = strings.TrimPrefix(s, "@")
	}
	if !validHandle(s, site.min, site.max, site.extra) || n == SocialFacebook && s == "profile.php" {
		return "", "", fmt.Errorf("%w: handle must have %d to %d letters, digits or %q", ErrInvalidSocial, site.min, site.max, site.extra)
	}
	return s, site.base + s, nil
}

// mastodonProfile parses "@user@server", "user@server" or
// "https://server/@user".
func mastodonProfile(s string) (handle, profileURL string, err error) {
	var user, server string
	if strings.Contains(s, "/") {
		u, err := parseProfileURL(s)
		if err != nil {
			return "", "", err
		}
		rest, ok := strings.CutPrefix(u.Path, "/@")
		if !ok || u.Port() != "" {
			return "", "", fmt.Errorf("%w: Mastodon profile URLs look like https://server/@user", ErrInvalidSocial)
		}
		user, _, _ = strings.Cut(rest, "/")
		server = u.Hostname()
	} else {
		var ok bool
		user, server, ok = strings.Cut(strings.TrimPrefix(s, "@"), "@")
		if !ok {
			return "", "", fmt.Errorf("%w: Mastodon handles look like @user@server", ErrInvalidSocial)
		}
		server = strings.ToLower(server)
	}
	if !validHandle(user, 1, 30, "_") {
		return "", "", fmt.Errorf("%w: bad Mastodon user %q", ErrInvalidSocial, user)
	}
	if !strings.Contains(server, ".") || strings.HasSuffix(server, ".") || strings.Contains(server, ":") || !validURLHost(server) {
		return "", "", fmt.Errorf("%w: bad Mastodon server %q", ErrInvalidSocial, server)
	}
	return user + "@" + server, "https://" + server + "/@" + user, nil
}

// parseProfileURL normalises s with NormalizeURL and parses the result.
func parseProfileURL(s string) (*url.URL, error) {
	norm, err := NormalizeURL(s)
	if err != nil {
		return nil, socialURLError(err)
	}
	return url.Parse(norm)
}

// validHandle reports whether h has lo to hi bytes, each an ASCII letter,
// an ASCII digit or one of extra.
func validHandle(h string, lo, hi int, extra string) bool {
	if len(h) < lo || len(h) > hi {
		return false
	}
	for _, r := range h {
		if !isASCIIAlnum(r) && !strings.ContainsRune(extra, r) {
			return false
		}
	}
	return true
}

// socialURLError rewraps an error of NormalizeURL as an ErrInvalidSocial.
func socialURLError(err error) error {
	return fmt.Errorf("%w: %s", ErrInvalidSocial, strings.TrimPrefix(err.Error(), "model: "))
}
