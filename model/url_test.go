package model

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"https", "https://www.firma.cz/kontakt", "https://www.firma.cz/kontakt"},
		{"http kept", "http://firma.cz", "http://firma.cz"},
		{"scheme added", "www.firma.cz", "https://www.firma.cz"},
		{"scheme added with path", "firma.cz/o-nas?x=1#tym", "https://firma.cz/o-nas?x=1#tym"},
		{"trimmed", "  https://firma.cz/  ", "https://firma.cz/"},
		{"scheme and host lowercased", "HTTPS://WWW.Firma.CZ/Kontakt", "https://www.firma.cz/Kontakt"},
		{"port", "https://firma.cz:8443/x", "https://firma.cz:8443/x"},
		{"port without scheme", "firma.cz:8080", "https://firma.cz:8080"},
		{"explicit scheme single label host", "http://intranet/wiki", "http://intranet/wiki"},
		{"ipv4", "http://192.168.1.10/", "http://192.168.1.10/"},
		{"ipv6", "http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/"},
		{"space in path escaped", "https://firma.cz/a b", "https://firma.cz/a%20b"},
		{"underscore host", "https://my_host.firma.cz", "https://my_host.firma.cz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeURL(tt.raw)
			if err != nil {
				t.Fatalf("NormalizeURL(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if again, err := NormalizeURL(got); err != nil || again != got {
				t.Fatalf("NormalizeURL(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeURLInvalid(t *testing.T) {
	tests := []struct {
		name, raw string
	}{
		{"empty", ""},
		{"blank", " "},
		{"ftp", "ftp://firma.cz/soubor"},
		{"mailto", "mailto:jana@firma.cz"},
		{"javascript", "javascript:alert(1)"},
		{"tel", "tel:+420601123456"},
		{"no host", "https://"},
		{"no host path", "https:///kontakt"},
		{"free text", "n/a"},
		{"single word", "firma"},
		{"credentials", "https://jana:heslo@firma.cz"},
		{"space in host", "https://fir ma.cz"},
		{"empty label", "https://firma..cz"},
		{"bad host char", "https://fir!ma.cz"},
		{"bad port", "https://firma.cz:port"},
		{"control char", "https://firma.cz/\x00"},
		{"too long", "https://firma.cz/" + strings.Repeat("a", 2048)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeURL(tt.raw)
			if err == nil {
				t.Fatalf("NormalizeURL(%q) = %q, want error", tt.raw, got)
			}
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("NormalizeURL(%q) error %v does not wrap ErrInvalidURL", tt.raw, err)
			}
		})
	}
}

func TestSocialNetworkValid(t *testing.T) {
	for _, n := range SocialNetworks {
		if !n.Valid() {
			t.Errorf("%q.Valid() = false", n)
		}
	}
	for _, n := range []SocialNetwork{"", "twitter", "LinkedIn", "myspace"} {
		if n.Valid() {
			t.Errorf("%q.Valid() = true", n)
		}
	}
}

func TestNormalizeSocial(t *testing.T) {
	tests := []struct {
		name, network, in string
		wantNet           SocialNetwork
		wantHandle        string
		wantURL           string
	}{
		{"linkedin handle", "linkedin", "jana-novakova-1a2b3c", SocialLinkedIn, "jana-novakova-1a2b3c", "https://www.linkedin.com/in/jana-novakova-1a2b3c"},
		{"linkedin country url", "LinkedIn", "https://cz.linkedin.com/in/jana-novakova/?originalSubdomain=cz", SocialLinkedIn, "jana-novakova", "https://www.linkedin.com/in/jana-novakova"},
		{"linkedin www url", "linkedin", "linkedin.com/in/jana-novakova/details/", SocialLinkedIn, "jana-novakova", "https://www.linkedin.com/in/jana-novakova"},
		{"x at handle", "x", "@jana_n", SocialX, "jana_n", "https://x.com/jana_n"},
		{"x plain handle", "x", "jana_n", SocialX, "jana_n", "https://x.com/jana_n"},
		{"twitter alias and url", "twitter", "https://twitter.com/jana_n", SocialX, "jana_n", "https://x.com/jana_n"},
		{"x mobile url", "x", "https://mobile.x.com/jana_n/status/1", SocialX, "jana_n", "https://x.com/jana_n"},
		{"github", "github", "jnovak", SocialGitHub, "jnovak", "https://github.com/jnovak"},
		{"github url", "github", "https://github.com/jnovak?tab=repositories", SocialGitHub, "jnovak", "https://github.com/jnovak"},
		{"instagram", "instagram", "@jana.novak_", SocialInstagram, "jana.novak_", "https://www.instagram.com/jana.novak_"},
		{"facebook", "facebook", "jana.novakova", SocialFacebook, "jana.novakova", "https://www.facebook.com/jana.novakova"},
		{"facebook url", "facebook", "https://m.facebook.com/jana.novakova", SocialFacebook, "jana.novakova", "https://www.facebook.com/jana.novakova"},
		{"facebook profile id", "facebook", "https://www.facebook.com/profile.php?id=100012345678", SocialFacebook, "100012345678", "https://www.facebook.com/100012345678"},
		{"youtube handle", "youtube", "@firmacz", SocialYouTube, "firmacz", "https://www.youtube.com/@firmacz"},
		{"youtube url", "youtube", "https://www.youtube.com/@firmacz/videos", SocialYouTube, "firmacz", "https://www.youtube.com/@firmacz"},
		{"tiktok", "tiktok", "@jana.n", SocialTikTok, "jana.n", "https://www.tiktok.com/@jana.n"},
		{"xing", "xing", "Jana_Novakova", SocialXing, "Jana_Novakova", "https://www.xing.com/profile/Jana_Novakova"},
		{"xing url", "xing", "https://www.xing.com/profile/Jana_Novakova/cv", SocialXing, "Jana_Novakova", "https://www.xing.com/profile/Jana_Novakova"},
		{"mastodon handle", "mastodon", "@jana@Mastodon.Social", SocialMastodon, "jana@mastodon.social", "https://mastodon.social/@jana"},
		{"mastodon bare handle", "mastodon", "jana@mastodon.social", SocialMastodon, "jana@mastodon.social", "https://mastodon.social/@jana"},
		{"mastodon url", "mastodon", "https://fosstodon.org/@jana", SocialMastodon, "jana@fosstodon.org", "https://fosstodon.org/@jana"},
		{"other", "other", "firma.cz/jana", SocialOther, "", "https://firma.cz/jana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, h, u, err := NormalizeSocial(tt.network, tt.in)
			if err != nil {
				t.Fatalf("NormalizeSocial(%q, %q): %v", tt.network, tt.in, err)
			}
			if n != tt.wantNet || h != tt.wantHandle || u != tt.wantURL {
				t.Fatalf("NormalizeSocial(%q, %q) = %q, %q, %q; want %q, %q, %q", tt.network, tt.in, n, h, u, tt.wantNet, tt.wantHandle, tt.wantURL)
			}
			// Both the handle and the URL normalise back to themselves.
			for _, again := range []string{h, u} {
				if again == "" {
					continue
				}
				n2, h2, u2, err := NormalizeSocial(string(n), again)
				if err != nil || n2 != n || h2 != h || u2 != u {
					t.Fatalf("NormalizeSocial(%q, %q) = %q, %q, %q, %v; want it unchanged", n, again, n2, h2, u2, err)
				}
			}
		})
	}
}

func TestNormalizeSocialInvalid(t *testing.T) {
	tests := []struct {
		name, network, in string
	}{
		{"unknown network", "myspace", "jana"},
		{"empty network", "", "jana"},
		{"empty handle", "github", ""},
		{"blank handle", "x", "  "},
		{"x too long", "x", "jana_novakova_123"},
		{"x bad char", "x", "jana.novak"},
		{"space in handle", "github", "jana novak"},
		{"linkedin too short", "linkedin", "jn"},
		{"wrong host", "github", "https://gitlab.com/jnovak"},
		{"lookalike host", "github", "https://evilgithub.com/jnovak"},
		{"linkedin company url", "linkedin", "https://www.linkedin.com/company/firma"},
		{"youtube channel url", "youtube", "https://www.youtube.com/channel/UC123"},
		{"youtube without handle", "youtube", "https://www.youtube.com/"},
		{"facebook too short", "facebook", "jana"},
		{"facebook profile.php handle", "facebook", "profile.php"},
		{"facebook profile.php without id", "facebook", "https://www.facebook.com/profile.php"},
		{"mastodon no server", "mastodon", "@jana"},
		{"mastodon bad server", "mastodon", "@jana@localhost"},
		{"mastodon bad user", "mastodon", "@ja-na@mastodon.social"},
		{"mastodon url without @", "mastodon", "https://mastodon.social/jana"},
		{"mastodon url with port", "mastodon", "https://mastodon.social:8443/@jana"},
		{"other not a url", "other", "jana"},
		{"other ftp", "other", "ftp://firma.cz"},
		{"bad url", "github", "https://github.com:x/jana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, h, u, err := NormalizeSocial(tt.network, tt.in)
			if err == nil {
				t.Fatalf("NormalizeSocial(%q, %q) = %q, %q, %q; want error", tt.network, tt.in, n, h, u)
			}
			if !errors.Is(err, ErrInvalidSocial) || !strings.HasPrefix(err.Error(), "model: invalid social profile: ") {
				t.Fatalf("NormalizeSocial(%q, %q) error %q does not wrap ErrInvalidSocial", tt.network, tt.in, err)
			}
		})
	}
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://www.firma.cz/kontakt", "firma.cz/o-nas?x=1#tym", "HTTP://Firma.CZ:8080",
		"http://[2001:db8::1]/", "https://пример.рф/путь", "n/a", "mailto:a@b.cz", "https://a b.cz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizeURL(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("error %v does not wrap ErrInvalidURL", err)
			}
			return
		}
		if len(got) > 2048 || !strings.HasPrefix(got, "http://") && !strings.HasPrefix(got, "https://") {
			t.Fatalf("NormalizeURL(%q) = %q: bad result", raw, got)
		}
		again, err := NormalizeURL(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeURL(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}

func FuzzNormalizeSocial(f *testing.F) {
	for _, n := range SocialNetworks {
		f.Add(string(n), "@jana_n")
		f.Add(string(n), "https://www.linkedin.com/in/jana")
	}
	f.Add("mastodon", "@jana@mastodon.social")
	f.Add("mastodon", "https://mastodon.social/@jana")
	f.Add("facebook", "https://www.facebook.com/profile.php?id=100012345678")
	f.Fuzz(func(t *testing.T, network, in string) {
		n, h, u, err := NormalizeSocial(network, in)
		if err != nil {
			if !errors.Is(err, ErrInvalidSocial) {
				t.Fatalf("error %v does not wrap ErrInvalidSocial", err)
			}
			return
		}
		if !n.Valid() || u == "" || (h == "") != (n == SocialOther) {
			t.Fatalf("NormalizeSocial(%q, %q) = %q, %q, %q: bad result", network, in, n, h, u)
		}
		for _, again := range []string{h, u} {
			if again == "" {
				continue
			}
			n2, h2, u2, err := NormalizeSocial(string(n), again)
			if err != nil || n2 != n || h2 != h || u2 != u {
				t.Fatalf("NormalizeSocial(%q, %q) = %q, %q, %q, %v; want %q, %q, %q", n, again, n2, h2, u2, err, n, h, u)
			}
		}
	})
}
