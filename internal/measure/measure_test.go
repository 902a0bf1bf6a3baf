package measure

import (
	"testing"

	"github.com/reelhq/reel/internal/rrweb"
)

func TestActiveMS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		times []int64
		want  int64
	}{
		{"none", nil, 0},
		{"one event", []int64{5}, 0},
		{"short gaps count", []int64{0, 2000, 5000}, 5000},
		{"an idle gap does not", []int64{0, 2000, 2000 + 10_000, 13_000}, 2000 + 1000},
		{"any order, all tabs", []int64{5000, 0, 2000}, 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ActiveMS(tc.times); got != tc.want {
				t.Errorf("ActiveMS(%v) = %d, want %d", tc.times, got, tc.want)
			}
		})
	}
}

func TestUserActivity(t *testing.T) {
	for src, want := range map[rrweb.IncrementalSource]bool{
		rrweb.SourceMouseMove: true, rrweb.SourceInput: true, rrweb.SourceSelection: true,
		rrweb.SourceMutation: false, rrweb.SourceViewportResize: false, rrweb.SourceFont: false, rrweb.SourceLog: false,
	} {
		if got := UserActivity(src); got != want {
			t.Errorf("UserActivity(%d) = %v, want %v", src, got, want)
		}
	}
}

func TestPages(t *testing.T) {
	views := []View{
		{3, "http://x/cart"},
		{0, "http://x/"},
		{1, "http://x?ref=ad"}, // the same page as http://x/
		{2, "http://x/#top"},
		{4, "http://x/cart?coupon=1"},
		{5, "http://x/"},
	}
	got := Pages(views)
	var paths []string
	for _, v := range got {
		paths = append(paths, Path(v.URL))
	}
	if len(got) != 3 || paths[0] != "/" || paths[1] != "/cart" || paths[2] != "/" {
		t.Errorf("Pages = %v (%v), want /, /cart, /", got, paths)
	}
	if Path("::bad") != "" {
		t.Errorf("Path of an unparsable URL = %q, want empty", Path("::bad"))
	}
}
