package main

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/reelhq/reel/internal/analyze"
)

// shop is what the synthetic sessions' site shows and where its visitors struggle: on-screen
// text, track-event properties and findings, added to each session after the fields the
// generator drew before them. It draws from its own source, so the sessions' other fields are
// the same with it as without it.
type shop struct {
	r          *rand.Rand
	popular    *rand.Zipf // a product by popularity, bestsellers first
	term       *rand.Zipf // a search term by popularity
	products   []product
	categories []string
	posts      [][2]string // title, lead
	terms      []string
	errorFP    []string // the fingerprint of errorPool()[i]
	errorMsg   []string

	// The pieces a session has shown so far, reused across sessions.
	seen  []string
	batch []string
	// Every distinct piece shown by any session, by id, and the last row of text written.
	pieces map[string]int64
	rows   int64
}

type product struct{ name, price, blurb string }

func newShop(errors []string) *shop {
	r := rand.New(rand.NewPCG(7, 1_000_000))
	s := &shop{r: r, errorMsg: errors, pieces: map[string]int64{}}
	adjectives := strings.Fields("Classic Everyday Lightweight Merino Organic Recycled Waterproof Insulated Relaxed Slim Vintage Trail Coastal Alpine Urban Heritage Essential Performance Softshell Linen")
	nouns := []string{"Sweater", "Hoodie", "Jacket", "Parka", "T-Shirt", "Shirt", "Chinos", "Jeans", "Shorts", "Dress", "Skirt", "Beanie", "Scarf", "Gloves", "Socks", "Backpack", "Tote Bag", "Sneakers", "Boots", "Sandals", "Raincoat", "Vest", "Fleece", "Leggings", "Cap"}
	blurbs := []string{
		"Made from soft organic cotton that gets better with every wash.",
		"Windproof and water-repellent, packs into its own pocket.",
		"Knitted from fine merino wool, warm without the bulk.",
		"Cut from recycled fabric with a relaxed fit.",
		"Seam-sealed for heavy rain, breathable on the trail.",
		"A wardrobe staple in a regular fit.",
		"Lined with recycled insulation for cold mornings.",
		"Durable canvas with reinforced stitching.",
	}
	for i := range 500 {
		cents := []string{".00", ".95", ".50", ".99"}[i%4]
		s.products = append(s.products, product{
			name:  adjectives[i%20] + " " + nouns[i/20],
			price: "$" + strconv.Itoa(15+i*37%185) + cents,
			blurb: blurbs[i*7%len(blurbs)],
		})
	}
	for i := range 40 {
		s.categories = append(s.categories, []string{"Women's ", "Men's ", "Kids' ", "New "}[i%4]+[]string{"Jackets", "Knitwear", "Shirts", "Trousers", "Shoes", "Accessories", "Bags", "Outdoor", "Basics", "Sale"}[i/4])
	}
	topics := []string{"merino wool", "rain jackets", "hiking boots", "layering", "denim", "packing light", "washing wool", "recycled fabrics", "winter running", "city cycling"}
	forms := []string{"How to care for %s", "A beginner's guide to %s", "Why we love %s", "Five myths about %s", "What to know before buying %s",
		"Our team's notes on %s", "The history of %s", "Choosing %s for the season", "Repairing %s at home", "Ten questions about %s",
		"%s, explained", "Testing %s in the Alps", "%s on a budget", "The future of %s", "Living with %s", "Everything about %s",
		"Inside the factory: %s", "Readers ask about %s", "A year of %s", "Sustainable %s"}
	for i := range 200 {
		title := strings.Replace(forms[i%20], "%s", topics[i/20], 1)
		s.posts = append(s.posts, [2]string{strings.ToUpper(title[:1]) + title[1:], "Our editors share what they learned about " + topics[i/20] + " after a season of testing."})
	}
	s.terms = []string{"jacket", "rain jacket", "merino", "boots", "hoodie", "sale", "jeans", "backpack", "gift card", "dress", "socks", "beanie",
		"waterproof", "sneakers", "parka", "linen shirt", "kids", "scarf", "gloves", "vest", "fleece", "shorts", "sandals", "leggings", "cap",
		"returns", "size guide", "black friday", "tote bag", "wool socks", "alpine parka", "trail boots", "vintage denim", "organic t-shirt",
		"recycled fleece", "slim chinos", "heritage boots", "coastal raincoat", "urban backpack", "insulated vest"}
	s.popular = rand.NewZipf(r, 1.1, 4, 499)
	s.term = rand.NewZipf(r, 1.2, 2, uint64(len(s.terms)-1))
	for _, m := range errors {
		s.errorFP = append(s.errorFP, analyze.ErrorFingerprint(m))
	}
	return s
}

// visit is what the generator drew for a session before the shop adds to it.
type visit struct {
	id             string
	started, dur   int64
	pages          []string
	checkout, paid bool
	errs, failed   int
	messages       []int // error_messages ids, one per error
	tracks         []string
	plan           string // the user's plan trait, if identified
	utm, ref       string
}

// findings are a session's counts on its row, as analysis would write them.
type findings struct{ score, friction, rage, dead int }

// text appends the rows of on-screen text the session showed, as ingest stores them: each
// batch of four to eight pages adds one row referencing the pieces not shown before, so the
// header, menu and footer are referenced once, with the first page; a piece no session showed
// before is stored. It returns the session's bytes of text.
func (s *shop) text(c *chunk, v *visit) int {
	r := s.r
	s.seen, s.batch = s.seen[:0], s.batch[:0]
	size := 0
	show := func(p string) {
		for _, q := range s.seen {
			if q == p {
				return
			}
		}
		s.seen = append(s.seen, p)
		s.batch = append(s.batch, p)
		size += len(p) + 1
	}
	flush := func() {
		if len(s.batch) == 0 {
			return
		}
		ids := make([]string, len(s.batch))
		for i, p := range s.batch {
			id, ok := s.pieces[p]
			if !ok {
				id = int64(len(s.pieces) + 1)
				s.pieces[p] = id
				c[tPieces] = append(c[tPieces], id, p, p)
			}
			ids[i] = strconv.FormatInt(id, 10)
		}
		list := "[" + strings.Join(ids, ",") + "]"
		s.rows++
		c[tText] = append(c[tText], s.rows, v.id, list)
		c[tTextIndex] = append(c[tTextIndex], s.rows, list)
		s.batch = s.batch[:0]
	}
	pick := func() product { return s.products[s.popular.Uint64()] }
	for _, p := range []string{"Shop Example", "Sale", "Sign in", "Cart"} {
		show(p)
	}
	if r.IntN(100) < 20 {
		show("We use cookies.")
		show("Accept all")
	}
	total := "$" + strconv.Itoa(20+r.IntN(380)) + "." + strconv.Itoa(10+r.IntN(90))
	left := 4 + r.IntN(5)
	for k, path := range v.pages {
		switch {
		case path == "/":
			show("New season arrivals")
			show("Bestsellers")
			show(pick().name)
		case strings.HasPrefix(path, "/products/"):
			n, _ := strconv.Atoi(path[len("/products/"):])
			p := s.products[n]
			show(p.name)
			show(p.price)
			if r.IntN(4) == 0 {
				show(p.blurb)
			}
			show("Add to cart")
			if r.IntN(100) < 10 {
				show("Only " + strconv.Itoa(1+r.IntN(4)) + " left in stock")
			}
			if r.IntN(100) < 25 {
				show("Added to your cart")
			}
		case strings.HasPrefix(path, "/category/"):
			n, _ := strconv.Atoi(path[len("/category/"):])
			show(s.categories[n])
			show(pick().name)
		case strings.HasPrefix(path, "/blog/post-"):
			n, _ := strconv.Atoi(path[len("/blog/post-"):])
			show(s.posts[n][0])
			show(strconv.Itoa(3+n%9) + " min read")
		case path == "/search":
			t := s.terms[s.term.Uint64()]
			if r.IntN(100) < 4 {
				show(`No results for "` + typos[r.IntN(len(typos))] + `"`)
				show("Check the spelling or try a more general term.")
				break
			}
			show(`Results for "` + t + `"`)
			show(strconv.Itoa(2+r.IntN(60)) + " results")
			show(pick().name)
		case path == "/cart":
			show("Your cart")
			for range 1 + r.IntN(2) {
				p := pick()
				show(p.name)
				show(p.price)
			}
			show("Subtotal")
			show(total)
			show("Coupon code")
			show("Apply")
			if r.IntN(100) < 4 {
				show("This coupon code is not valid.")
			}
			show("Proceed to checkout")
			show("Continue shopping")
		case path == "/pricing":
			for _, p := range []string{"Plans and pricing", "Free", "Pro", "$12 per month", "Team", "Start free trial"} {
				show(p)
			}
		case path == "/account":
			for _, p := range []string{"My account", "Order history", "Addresses", "Payment methods", "Sign out"} {
				show(p)
			}
			if r.IntN(100) < 2 {
				show("Your session has expired. Please sign in again.")
			}
		case path == "/checkout/shipping":
			for _, p := range []string{"Checkout", "Shipping address", "Postal code", "Express delivery", "Continue to payment"} {
				show(p)
			}
		case path == "/checkout/payment":
			for _, p := range []string{"Payment", "Card number", "Expiry date", "Pay " + total} {
				show(p)
			}
			// Why a payment failed, or failed once before it went through.
			x := r.IntN(100)
			if v.paid && x >= 2 {
				break
			}
			switch {
			case x < 6:
				show("Payment declined. Please use a different card.")
			case x < 9:
				show("Your card has expired.")
			case x < 12:
				show("Card expired. Please update your payment details.")
			case x < 17:
				show("Your card number is incomplete.")
			case x < 20:
				show("We could not verify your card with your bank.")
			}
		case path == "/checkout/review":
			for _, p := range []string{"Review your order", total, "Place order"} {
				show(p)
			}
		case path == "/thanks":
			show("Thank you for your order!")
			show("Order R-" + strconv.Itoa(1_000_000+r.IntN(9_000_000)) + " is confirmed.")
			show("A confirmation email is on its way.")
		}
		if v.errs > 0 && k == len(v.pages)/2 && r.IntN(100) < 40 {
			show("Something went wrong. Please try again.")
		}
		if v.failed > 0 && k == len(v.pages)-1 && r.IntN(100) < 50 {
			show("We could not load this content.")
			show("Retry")
		}
		if left--; left == 0 {
			flush()
			left = 4 + r.IntN(5)
		}
	}
	flush()
	return size
}

// props appends the properties the session's track events carried: where the visit came from
// on every event, the plan of an identified user or of a signup, the product added to a cart
// and the coupon applied.
func (s *shop) props(c *chunk, v *visit) {
	if len(v.tracks) == 0 {
		return
	}
	r := s.r
	add := func(k, val string) { c[tProps] = append(c[tProps], v.id, k, val) }
	source := "direct"
	switch {
	case v.utm == "newsletter":
		source = "email"
	case v.utm == "google":
		source = "ad"
	case v.ref == "www.google.com":
		source = "organic"
	case v.ref != "":
		source = "referral"
	}
	add("source", source)
	if v.plan != "" {
		add("plan", v.plan)
	}
	for _, name := range v.tracks {
		switch name {
		case "signup_clicked":
			if v.plan == "" {
				add("plan", []string{"free", "free", "free", "pro", "pro", "team"}[r.IntN(6)])
			}
		case "plan_upgraded":
			add("plan", []string{"pro", "pro", "team", "enterprise"}[r.IntN(4)])
		case "add_to_cart":
			add("product", strconv.FormatUint(s.popular.Uint64(), 10))
		case "coupon_applied":
			add("coupon", []string{"WELCOME10", "WELCOME10", "WELCOME10", "SPRING20", "SPRING20", "FREESHIP"}[r.IntN(6)])
		}
	}
}

// typos are searches that find nothing.
var typos = []string{"rian jacket", "merino scraf", "wollen socks", "parker", "sandles", "goretex", "bakpack"}

// elements are what visitors click in vain or in anger on each kind of page, the most clicked
// first, described as analysis describes them.
var elements = map[string][]string{
	"product":  {`button.add-to-cart "Add to cart"`, `img.product-hero`, `a.size-guide "Size guide"`, `span.swatch "Navy"`},
	"category": {`span.price`, `button.filter "Filter"`, `img.product-card`},
	"home":     {`div.hero "New season arrivals"`, `img.banner`, `a.bestsellers "Bestsellers"`},
	"cart":     {`button#apply-coupon "Apply"`, `button.qty-plus "+"`, `a.checkout "Proceed to checkout"`},
	"payment":  {`button#pay "Pay now"`, `input#card-number`, `label.save-card "Save this card"`},
	"shipping": {`button.continue "Continue to payment"`, `select#country`, `input#postal-code`},
	"pricing":  {`div.plan-card "Pro"`, `a.compare "Compare plans"`},
	"other":    {`a.logo "Shop Example"`, `span.badge "Sale"`},
}

func kindOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/products/"):
		return "product"
	case strings.HasPrefix(path, "/category/"):
		return "category"
	case path == "/":
		return "home"
	case path == "/cart":
		return "cart"
	case path == "/checkout/payment":
		return "payment"
	case path == "/checkout/shipping":
		return "shipping"
	case path == "/pricing":
		return "pricing"
	}
	return "other"
}

// weights mirror analyze's (docs/friction.md), so the bench's scores rank as analysis would.
var weights = map[string]int{"error_click": 14, "rage_click": 12, "form_abandonment": 10, "dead_click": 6,
	"quick_back": 4, "thrashed_cursor": 4, "excessive_scroll": 3, "field_hesitation": 3}

// signals appends the findings analysis would have written at compaction (a js_error for each
// error the session sent, friction on the pages it visited) and returns the row's counts.
func (s *shop) signals(c *chunk, v *visit) findings {
	r := s.r
	counts := map[string]int{}
	const host = "https://shop.example.com"
	at := func(k int) int64 {
		return v.started + int64(k)*v.dur/int64(len(v.pages)) + r.Int64N(max(1, v.dur/int64(len(v.pages))))
	}
	add := func(kind string, k int, target, detail string) {
		fp := analyze.Fingerprint(analyze.Signal{Kind: analyze.Kind(kind), URL: host + v.pages[k], Target: target})
		c[tSignals] = append(c[tSignals], v.id, project, kind, at(k), v.pages[k], target, fp, detail)
		counts[kind]++
	}
	element := func(k int) string {
		els := elements[kindOf(v.pages[k])]
		return els[min(len(els)-1, int(r.ExpFloat64()*0.8))]
	}
	for k, p := range v.pages {
		rage, dead := 5, 15 // per thousand page views
		switch kindOf(p) {
		case "cart", "payment":
			rage, dead = 25, 20
		case "product":
			dead = 20
		}
		if r.IntN(1000) < rage {
			for range 1 + r.IntN(2) {
				add("rage_click", k, element(k), "")
			}
		}
		if r.IntN(1000) < dead {
			for range 1 + r.IntN(3) {
				add("dead_click", k, element(k), "")
			}
		}
		if (strings.HasPrefix(p, "/blog/") || strings.HasPrefix(p, "/category/")) && r.IntN(100) < 2 {
			add("excessive_scroll", k, "", "")
		}
		if k > 0 && k+1 < len(v.pages) && v.pages[k+1] == v.pages[k-1] && v.pages[k] != v.pages[k-1] && r.IntN(100) < 30 {
			add("quick_back", k, "", "back to "+host+v.pages[k-1])
		}
	}
	if v.errs > 0 && r.IntN(100) < 25 {
		k := r.IntN(len(v.pages))
		add("error_click", k, element(k), "")
	}
	if v.checkout {
		last := len(v.pages) - 1
		if !v.paid && r.IntN(100) < 40 {
			add("form_abandonment", last, []string{"input#card-number", "input#postal-code"}[r.IntN(2)], "")
		}
		if r.IntN(100) < 5 {
			add("field_hesitation", last, "input#card-number", "typing started after a long pause")
		}
	}
	if r.IntN(1000) < 5 {
		add("thrashed_cursor", r.IntN(len(v.pages)), "", "")
	}
	var f findings
	for kind, n := range counts {
		f.friction += n
		for i := 0; i < n && i < 3; i++ {
			f.score += weights[kind] >> i
		}
	}
	f.rage, f.dead = counts["rage_click"], counts["dead_click"]
	var distinct []int
	for _, m := range v.messages {
		k := r.IntN(len(v.pages))
		c[tSignals] = append(c[tSignals], v.id, project, "js_error", at(k), v.pages[k], s.errorMsg[m-1], s.errorFP[m-1], "")
		if !slices.Contains(distinct, m) {
			distinct = append(distinct, m)
		}
	}
	f.score += min(len(distinct), 3) * 12
	if len(v.pages) >= 4 {
		f.score += 5
	}
	if v.dur < 10_000 {
		f.score /= 2
	}
	f.score = min(f.score, 100)
	return f
}
