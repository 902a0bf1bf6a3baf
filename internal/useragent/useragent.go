// Package useragent turns a User-Agent string into the browser, OS and device type a person
// recognises in a session list. It knows the handful of engines that carry nearly all traffic;
// anything else reads as "Other" rather than guessing.
package useragent

import "strings"

// Info is what the dashboard shows about a browser.
type Info struct {
	Browser string // "Chrome 156"
	OS      string // "macOS", "Windows", "Linux", "Android", "iOS", "ChromeOS", "Other"
	Device  string // "desktop", "mobile", "tablet", "bot"
}

// Parse reads a User-Agent header value.
func Parse(ua string) Info {
	info := Info{Browser: browser(ua), OS: os(ua), Device: "desktop"}
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "bot") || strings.Contains(l, "crawler") || strings.Contains(l, "spider") || strings.Contains(l, "headlesschrome"):
		info.Device = "bot"
	case strings.Contains(ua, "iPad") || (strings.Contains(ua, "Android") && !strings.Contains(ua, "Mobile")):
		info.Device = "tablet"
	case strings.Contains(ua, "Mobi") || strings.Contains(ua, "iPhone"):
		info.Device = "mobile"
	}
	return info
}

// browser checks tokens in order: several browsers also claim to be Chrome or Safari.
func browser(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"HeadlessChrome/", "Headless Chrome"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"},
		{"Version/", "Safari"},
	} {
		if i := strings.Index(ua, b.token); i >= 0 {
			if b.name == "Safari" && !strings.Contains(ua, "Safari/") {
				continue
			}
			return b.name + " " + major(ua[i+len(b.token):])
		}
	}
	return "Other"
}

func major(v string) string {
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	if end == 0 {
		return "?"
	}
	return v[:end]
}

func os(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad") || strings.Contains(ua, "iPod"):
		return "iOS"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Mac OS X") || strings.Contains(ua, "Macintosh"):
		return "macOS"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Linux") || strings.Contains(ua, "X11"):
		return "Linux"
	}
	return "Other"
}
