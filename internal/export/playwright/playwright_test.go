package playwright

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const t0 = int64(1764237600000)

type rec []json.RawMessage

func (r *rec) add(typ int, at int64, data string) {
	*r = append(*r, json.RawMessage(fmt.Sprintf(`{"type":%d,"timestamp":%d,"data":%s}`, typ, t0+at, data)))
}

func el(id int, tag, attrs, children string) string {
	return fmt.Sprintf(`{"type":2,"id":%d,"tagName":%q,"attributes":%s,"childNodes":[%s]}`, id, tag, attrs, children)
}

func txt(id int, s string) string { return fmt.Sprintf(`{"type":3,"id":%d,"textContent":%q}`, id, s) }

func page(r *rec, at int64, href, body string) {
	r.add(4, at, fmt.Sprintf(`{"href":%q,"width":1280,"height":720}`, href))
	r.add(2, at+1, `{"node":{"type":0,"id":1,"childNodes":[`+el(2, "html", `{}`, el(3, "body", `{}`, body))+`]},"initialOffset":{"left":0,"top":0}}`)
}

// A visit of a shop: search (masked), add the second of two products, open the cart by the
// icon's text, rage-click a coupon button, type into a field that is not masked, check a box,
// submit, and see an error: every step comes out with a locator that finds the same element.
func TestGenerate(t *testing.T) {
	var r rec
	page(&r, 0, "http://127.0.0.1:8080/demo/",
		el(10, "input", `{"type":"search","data-testid":"search"}`, "")+","+
			el(11, "button", `{"data-testid":"add-to-cart"}`, txt(12, "Add to cart"))+","+
			el(13, "button", `{"data-testid":"add-to-cart"}`, txt(14, "Add to cart"))+","+
			el(15, "a", `{"href":"cart.html","class":"cart-link"}`, el(16, "span", `{}`, txt(17, "Cart"))))
	r.add(3, 500, `{"source":2,"type":2,"id":10,"x":1,"y":1}`)
	r.add(3, 600, `{"source":5,"id":10,"text":"*","isChecked":false}`)
	r.add(3, 700, `{"source":5,"id":10,"text":"****","isChecked":false}`)
	r.add(3, 900, `{"source":2,"type":2,"id":14,"x":1,"y":1}`)
	r.add(3, 1000, `{"source":2,"type":2,"id":17,"x":1,"y":1}`)
	page(&r, 2000, "http://127.0.0.1:8080/demo/cart.html",
		el(20, "button", `{"id":"apply-coupon"}`, txt(21, "Apply coupon"))+","+
			el(22, "input", `{"type":"text","name":"note"}`, "")+","+
			el(23, "input", `{"type":"checkbox","name":"gift"}`, "")+","+
			el(24, "p", `{"class":"field-error","hidden":""}`, "")+","+
			el(25, "button", `{"type":"submit"}`, txt(26, "Pay now")))
	for i := int64(0); i < 4; i++ {
		r.add(3, 2500+i*100, `{"source":2,"type":2,"id":21,"x":1,"y":1}`)
	}
	r.add(3, 3100, `{"source":5,"id":22,"text":"leave at the door","isChecked":false}`)
	r.add(3, 3150, `{"source":2,"type":2,"id":25,"x":1,"y":1}`) // clicks "Pay now" while the SDK holds the last keystrokes
	r.add(3, 3160, `{"source":5,"id":22,"text":"leave at the door!","isChecked":false}`)
	r.add(3, 3500, `{"source":5,"id":23,"text":"on","isChecked":true}`)
	r.add(3, 3600, `{"source":2,"type":2,"id":26,"x":1,"y":1}`)
	r.add(3, 3700, `{"source":0,"texts":[],"attributes":[{"id":24,"attributes":{"hidden":null}}],"removes":[],"adds":[{"parentId":24,"nextId":null,"node":`+txt(27, "Enter your card number")+`}]}`)
	r.add(5, 3800, `{"tag":"reel.navigation","payload":{"url":"http://127.0.0.1:8080/demo/cart.html#pay","kind":"hash"}}`)

	test, err := Generate(r, Options{SessionID: "s_test0001"})
	if err != nil {
		t.Fatal(err)
	}
	src := string(test.Source)
	want := []string{
		`const BASE = process.env.REEL_BASE_URL ?? "http://127.0.0.1:8080";`,
		`//   REEL_INPUT_1: page.getByTestId("search") on http://127.0.0.1:8080/demo/ (4 characters)`,
		`  await page.goto(BASE + "/demo/");
  await page.getByTestId("search").fill(process.env.REEL_INPUT_1 ?? "placeholder"); // typed 4 characters, masked in the recording
  await page.getByTestId("add-to-cart").nth(1).click(); // Add to cart
  await page.locator("a", { hasText: "Cart" }).click(); // Cart
  await page.waitForURL(BASE + "/demo/cart.html"); // the next page
  await page.locator("[id=\"apply-coupon\"]").click(); // Apply coupon
  await page.locator("[id=\"apply-coupon\"]").click(); // Apply coupon
  await page.locator("[id=\"apply-coupon\"]").click(); // Apply coupon
  await page.locator("[id=\"apply-coupon\"]").click(); // Apply coupon
  await page.locator("input[name=\"note\"]").fill("leave at the door");
  await page.locator("input[name=\"note\"]").fill("leave at the door!");
  await page.locator("button", { hasText: "Pay now" }).click(); // Pay now
  await page.locator("input[name=\"gift\"]").check();
  await page.locator("button", { hasText: "Pay now" }).click(); // Pay now
  await page.waitForURL(BASE + "/demo/cart.html#pay"); // the next route
  // What the user saw at the end.
  await expect(page).toHaveURL(BASE + "/demo/cart.html#pay");
  await expect(page.locator("p", { hasText: "Enter your card number" })).toContainText("Enter your card number");
});
`,
	}
	for _, w := range want {
		if !strings.Contains(src, w) {
			t.Errorf("the test lacks\n%s\n--- generated:\n%s", w, src)
		}
	}
	if len(test.Inputs) != 1 || test.Inputs[0].Length != 4 || len(test.Errors) != 1 {
		t.Errorf("inputs %+v, errors %q", test.Inputs, test.Errors)
	}
	// An error element that is still hidden is not asserted.
	if _, err := Generate(nil, Options{}); err == nil {
		t.Error("no events: no error")
	}
}

// FuzzGenerate: any events (recorded pages are untrusted input) give a test or an error, never
// a panic, and every string of the page reaches the test only inside a JavaScript string
// literal: a line of the body is a statement, a comment, or the closing of the test.
func FuzzGenerate(f *testing.F) {
	var r rec
	page(&r, 0, "http://127.0.0.1:8080/demo/", el(10, "button", `{"id":"go\"); process.exit(1); //"}`, txt(11, "Go */ now\n"))+","+el(12, "input", `{"name":"q"}`, ""))
	r.add(3, 500, `{"source":2,"type":2,"id":11,"x":1,"y":1}`)
	r.add(3, 600, `{"source":5,"id":12,"text":"a\"b\u2028c","isChecked":false}`)
	b, _ := json.Marshal(r)
	f.Add(b)
	f.Add([]byte(`[{"type":4,"timestamp":1,"data":{"href":"x"}},{"type":0,"timestamp":2,"data":{}}]`))
	f.Add([]byte(`[{"type":4,"timestamp":1,"data":{"href":"http://a/\nprocess.exit(1)\u2028"}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var events []json.RawMessage
		if json.Unmarshal(b, &events) != nil {
			return
		}
		test, err := Generate(events, Options{SessionID: "s_fuzz"})
		if err != nil {
			return
		}
		body := string(test.Source)
		head := body[:strings.Index(body, "import { test, expect }")]
		for _, line := range strings.Split(strings.TrimSuffix(head, "\n"), "\n") {
			if !strings.HasPrefix(line, "//") {
				t.Fatalf("header line %q is not a comment:\n%s", line, test.Source)
			}
		}
		if strings.ContainsAny(body, "\u2028\u2029\r") {
			t.Fatalf("a JavaScript line terminator inside the test:\n%q", test.Source)
		}
		body = body[strings.Index(body, "async ({ page }) => {\n")+len("async ({ page }) => {\n"):]
		for _, line := range strings.Split(strings.TrimSuffix(body, "});\n"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "//") {
				continue
			}
			if !strings.HasPrefix(line, "await ") || (!strings.Contains(line, ");") && !strings.HasSuffix(line, ";")) {
				t.Fatalf("line %q is not a statement:\n%s", line, test.Source)
			}
		}
	})
}
