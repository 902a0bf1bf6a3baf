// Shared code for the Reel Supply Co. demo shop: the catalogue, the cart
// (kept in localStorage so it survives page loads, like a real shop's), the
// header's cart count, toasts and the footer's "Track my order" link.
//
// The shop is served by Reel at /demo/ so a newcomer can click around and
// then watch their own visit replayed. Some friction is left in on purpose
// so the replay has something to show: see trackLatestOrder below and the
// "Apply coupon" button on cart.html.
"use strict";

var Shop = (function () {
  var CART_KEY = "reel-demo-cart";
  var ORDERS_KEY = "reel-demo-orders";
  var FREE_SHIPPING_FROM = 75;
  var SHIPPING = 6;
  var APPAREL_SIZES = ["XS", "S", "M", "L", "XL"];

  var categories = [
    { id: "all", name: "All" },
    { id: "apparel", name: "Apparel" },
    { id: "carry", name: "Carry" },
    { id: "home", name: "Home" },
    { id: "desk", name: "Desk" }
  ];

  var products = [
    { id: "field-tote", name: "Canvas Field Tote", category: "carry", price: 38, art: "tote",
      color: "#c9b48a", accent: "#6b4f2a", bg: "#efe6d4", badge: "Bestseller",
      blurb: "Waxed 16 oz canvas with leather handles and an inside pocket for keys. Big enough for a laptop and the week's groceries." },
    { id: "roll-top-daypack", name: "Roll-top Daypack", category: "carry", price: 96, art: "backpack",
      color: "#3f5b4a", accent: "#d9a441", bg: "#dfe8e1",
      blurb: "A 22 litre pack that rolls down when half empty and up when you overpack. Weatherproof, with a padded 15\" sleeve." },
    { id: "insulated-bottle", name: "Insulated Bottle", category: "carry", price: 34, art: "bottle",
      color: "#3a6ea5", accent: "#1d2b3a", bg: "#dde7f2",
      blurb: "Double-walled steel keeps water cold for 24 hours or coffee hot for 12. 750 ml, fits most cup holders." },
    { id: "heavyweight-tee", name: "Heavyweight Tee", category: "apparel", price: 28, art: "tee", sizes: APPAREL_SIZES,
      color: "#e9e4da", accent: "#b7ad9c", bg: "#d9d3c7",
      blurb: "Organic cotton, 240 gsm, boxy fit. Garment-dyed so it is already as soft as your favourite old shirt." },
    { id: "loopback-hoodie", name: "Loopback Hoodie", category: "apparel", price: 74, art: "hoodie", sizes: APPAREL_SIZES,
      color: "#7d8f69", accent: "#55664a", bg: "#e3e8da", badge: "New",
      blurb: "Brushed loopback cotton that warms without the bulk. Flat drawcords, a roomy kangaroo pocket and ribbed cuffs." },
    { id: "merino-beanie", name: "Merino Beanie", category: "apparel", price: 32, art: "beanie",
      color: "#c2553d", accent: "#9b3f2c", bg: "#f2dfd6",
      blurb: "Fine merino rib that breathes on a run and stays warm at the bus stop. Knitted in Portugal." },
    { id: "hiking-socks", name: "Wool Hiking Socks", category: "apparel", price: 18, art: "socks", sizes: ["S", "M", "L"],
      color: "#8a6f9e", accent: "#4d3b5c", bg: "#e8e0ee",
      blurb: "Cushioned where your boots rub and thin where they don't. Merino blend, reinforced heel and toe." },
    { id: "stoneware-mug", name: "Stoneware Mug", category: "home", price: 22, art: "mug",
      color: "#2f4858", accent: "#e8dccb", bg: "#e4e9ec",
      blurb: "Hand-thrown, 350 ml, with a glaze that pools darker at the rim. Dishwasher and microwave safe." },
    { id: "cedar-candle", name: "Cedar & Smoke Candle", category: "home", price: 24, art: "candle",
      color: "#d9cbb3", accent: "#5a4632", bg: "#f1ebe0",
      blurb: "Soy wax, cotton wick, about 45 hours of cedar, vetiver and a little campfire. Poured by hand in small batches." },
    { id: "terracotta-planter", name: "Terracotta Planter", category: "home", price: 30, art: "planter",
      color: "#c8744f", accent: "#4e8a54", bg: "#f3e3d8",
      blurb: "Unglazed clay with a drainage hole and matching saucer. 15 cm across, right for a pothos or a small fern." },
    { id: "dot-grid-notebook", name: "Dot-grid Notebook", category: "desk", price: 16, art: "notebook",
      color: "#1f5e4f", accent: "#e0b04a", bg: "#dce9e4",
      blurb: "A5, 192 numbered pages of 100 gsm paper that fountain pens don't bleed through. Lay-flat binding." },
    { id: "brass-pen", name: "Brass Pen", category: "desk", price: 45, art: "pen",
      color: "#c9a24a", accent: "#7a5f22", bg: "#f2ead4", badge: "Low stock",
      blurb: "Solid brass that darkens with use into a patina that's only yours. Takes standard refills." }
  ];

  var reviewPool = [
    { name: "Priya N.", stars: 5, date: "March 2, 2025", title: "Better than the photos",
      text: "I was a little worried it would look cheaper in person, but it's the opposite. The finish is lovely and it arrived in recycled packaging with a handwritten note." },
    { name: "Tom W.", stars: 4, date: "February 18, 2025", title: "Solid, one small gripe",
      text: "Well made and I use it every day. Knocked off a star because shipping took eight days instead of the five quoted, but the quality makes up for it." },
    { name: "Aiko S.", stars: 5, date: "February 9, 2025", title: "Bought a second one",
      text: "Got the first one for myself and my partner kept borrowing it, so now we have two. That's the review." },
    { name: "Marcus L.", stars: 5, date: "January 27, 2025", title: "Exactly as described",
      text: "Nothing fancy to report, which is the point: it does what it says, it feels sturdy and it looks good on the shelf. Would order from here again." },
    { name: "Elena R.", stars: 3, date: "January 12, 2025", title: "Nice, but check the size",
      text: "The quality is great. I should have read the measurements more carefully though; it's a bit bigger than I pictured. Returns were easy enough." },
    { name: "Dev P.", stars: 5, date: "December 30, 2024", title: "Great gift",
      text: "Sent it to my dad for the holidays and he called to ask where it was from. The gift wrapping option was a nice touch." },
    { name: "Hannah K.", stars: 4, date: "December 14, 2024", title: "Lovely colour",
      text: "The colour is warmer than on my screen, which I actually prefer. Took a star off because the tag was a pain to remove." },
    { name: "Jonas B.", stars: 5, date: "November 28, 2024", title: "Six months in, still great",
      text: "Waited before reviewing to see how it held up. Daily use, a couple of trips, no wear worth mentioning. Exactly what I wanted from a shop like this." },
    { name: "Sofia M.", stars: 4, date: "November 3, 2024", title: "Good value",
      text: "Not the cheapest option out there, but you can feel where the money went. Customer service answered my question within an hour." },
    { name: "Chris O.", stars: 2, date: "October 21, 2024", title: "Arrived damaged",
      text: "The box was crushed and the item had a scuff. To be fair, they sent a replacement straight away, which was fine. Just wish it had arrived right the first time." }
  ];

  function byId(id) {
    for (var i = 0; i < products.length; i++) {
      if (products[i].id === id) return products[i];
    }
    return null;
  }

  function sizesOf(product) {
    return product.sizes || ["One size"];
  }

  function defaultSize(product) {
    return product.sizes ? "M" : "One size";
  }

  // Reviews are picked from a shared pool, rotated by product so each page
  // reads differently without a hand-written list per product.
  function reviewsFor(product) {
    var start = products.indexOf(product) % reviewPool.length;
    var out = [];
    for (var i = 0; i < 8; i++) out.push(reviewPool[(start + i * 3) % reviewPool.length]);
    return out;
  }

  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  function formatPrice(amount) {
    return money.format(amount);
  }

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function stars(n) {
    var s = "";
    for (var i = 1; i <= 5; i++) s += i <= Math.round(n) ? "\u2605" : "\u2606";
    return s;
  }

  // --- storage -----------------------------------------------------------

  function read(key, fallback) {
    try {
      var v = JSON.parse(localStorage.getItem(key));
      return v == null ? fallback : v;
    } catch (e) {
      return fallback;
    }
  }

  function write(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      // Private mode or a full quota: the shop keeps working for this page.
    }
  }

  function loadCart() {
    return read(CART_KEY, []).filter(function (line) { return byId(line.id); });
  }

  function saveCart(cart) {
    write(CART_KEY, cart);
    updateCartCount();
  }

  function addToCart(id, size, qty) {
    var cart = loadCart();
    for (var i = 0; i < cart.length; i++) {
      if (cart[i].id === id && cart[i].size === size) {
        cart[i].qty = Math.min(cart[i].qty + qty, 10);
        saveCart(cart);
        return;
      }
    }
    cart.push({ id: id, size: size, qty: qty });
    saveCart(cart);
  }

  function setQty(id, size, qty) {
    var cart = loadCart().map(function (line) {
      if (line.id === id && line.size === size) line.qty = Math.max(1, Math.min(qty, 10));
      return line;
    });
    saveCart(cart);
  }

  function removeFromCart(id, size) {
    saveCart(loadCart().filter(function (line) { return !(line.id === id && line.size === size); }));
  }

  function clearCart() {
    saveCart([]);
  }

  function cartCount() {
    return loadCart().reduce(function (n, line) { return n + line.qty; }, 0);
  }

  function totals(cart) {
    var subtotal = cart.reduce(function (sum, line) { return sum + byId(line.id).price * line.qty; }, 0);
    var shipping = subtotal === 0 || subtotal >= FREE_SHIPPING_FROM ? 0 : SHIPPING;
    return { subtotal: subtotal, shipping: shipping, total: subtotal + shipping };
  }

  function loadOrders() {
    return read(ORDERS_KEY, []);
  }

  function placeOrder(customer) {
    var cart = loadCart();
    var order = {
      number: "RS-" + String(Math.floor(100000 + Math.random() * 900000)),
      placedAt: new Date().toISOString(),
      email: customer.email,
      name: customer.name,
      items: cart,
      totals: totals(cart)
    };
    var orders = loadOrders();
    orders.push(order);
    write(ORDERS_KEY, orders.slice(-5));
    clearCart();
    return order;
  }

  // --- page chrome -------------------------------------------------------

  function updateCartCount() {
    var n = cartCount();
    var els = document.querySelectorAll("[data-testid=cart-count]");
    for (var i = 0; i < els.length; i++) {
      els[i].textContent = String(n);
      els[i].classList.toggle("is-empty", n === 0);
    }
  }

  var toastTimer = null;
  function toast(message, linkText, href) {
    var el = document.querySelector(".toast");
    if (!el) {
      el = document.createElement("div");
      el.className = "toast";
      el.setAttribute("role", "status");
      el.setAttribute("data-testid", "toast");
      document.body.appendChild(el);
    }
    el.textContent = message + " ";
    if (linkText) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = linkText;
      el.appendChild(a);
    }
    el.classList.add("is-visible");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.classList.remove("is-visible"); }, 3200);
  }

  // Opens the carrier's tracking page for the most recent order.
  //
  // This is the demo's deliberate bug: orders are saved without a shipment
  // (nothing ships from a demo shop), so reading latest.shipment.trackingUrl
  // throws "TypeError: Cannot read properties of undefined", and with no
  // orders at all, latest itself is undefined. The error is left uncaught so
  // Reel records it and links it to the click that caused it.
  function trackLatestOrder(event) {
    event.preventDefault();
    var orders = loadOrders();
    var latest = orders[orders.length - 1];
    var url = latest.shipment.trackingUrl;
    window.location.href = url;
  }

  // --- product art -------------------------------------------------------

  // Product "photos" are small inline SVG drawings, so the demo needs no image
  // files or external URLs and replays look the same as the live page.
  function art(p) {
    var c = p.color, a = p.accent, shapes;
    switch (p.art) {
      case "tote":
        shapes = '<path d="M74 76 C74 34 126 34 126 76" fill="none" stroke="' + a + '" stroke-width="8" stroke-linecap="round"/>' +
          '<path d="M46 74 H154 L146 168 H54 Z" fill="' + c + '"/>' +
          '<path d="M46 74 H154 L153 86 H47 Z" fill="' + a + '" opacity=".25"/>' +
          '<rect x="82" y="110" width="36" height="22" rx="3" fill="' + a + '" opacity=".8"/>';
        break;
      case "backpack":
        shapes = '<path d="M82 46 C82 28 118 28 118 46" fill="none" stroke="' + a + '" stroke-width="6"/>' +
          '<rect x="54" y="52" width="92" height="118" rx="24" fill="' + c + '"/>' +
          '<rect x="58" y="34" width="84" height="30" rx="9" fill="' + c + '" stroke="#000" stroke-opacity=".15" stroke-width="2"/>' +
          '<rect x="94" y="40" width="12" height="56" rx="3" fill="' + a + '"/>' +
          '<rect x="70" y="116" width="60" height="42" rx="12" fill="#000" opacity=".15"/>';
        break;
      case "bottle":
        shapes = '<rect x="82" y="30" width="36" height="24" rx="5" fill="' + a + '"/>' +
          '<rect x="87" y="52" width="26" height="12" fill="' + c + '" opacity=".75"/>' +
          '<rect x="66" y="62" width="68" height="112" rx="20" fill="' + c + '"/>' +
          '<rect x="66" y="104" width="68" height="22" fill="#fff" opacity=".22"/>' +
          '<rect x="76" y="72" width="8" height="88" rx="4" fill="#fff" opacity=".25"/>';
        break;
      case "tee":
        shapes = '<path d="M72 44 L48 52 L22 82 L44 102 L58 90 L58 168 H142 V90 L156 102 L178 82 L152 52 L128 44 Q100 66 72 44 Z" fill="' + c + '" stroke="' + a + '" stroke-width="2"/>' +
          '<path d="M72 44 Q100 66 128 44" fill="none" stroke="' + a + '" stroke-width="5"/>';
        break;
      case "hoodie":
        shapes = '<path d="M68 50 L46 58 L26 128 L48 134 L60 96 L60 170 H140 V96 L152 134 L174 128 L154 58 L132 50 Z" fill="' + c + '"/>' +
          '<path d="M70 54 Q100 12 130 54 Q100 80 70 54 Z" fill="' + a + '"/>' +
          '<path d="M92 68 V100 M108 68 V100" stroke="#fff" stroke-width="3" stroke-linecap="round" opacity=".8"/>' +
          '<path d="M76 128 H124 L132 158 H68 Z" fill="' + a + '" opacity=".6"/>';
        break;
      case "beanie":
        shapes = '<circle cx="100" cy="44" r="17" fill="' + a + '"/>' +
          '<path d="M48 132 Q48 54 100 54 Q152 54 152 132 Z" fill="' + c + '"/>' +
          '<path d="M70 128 Q68 80 86 62 M100 128 V58 M130 128 Q132 80 114 62" stroke="' + a + '" stroke-width="3" fill="none" opacity=".6"/>' +
          '<rect x="42" y="124" width="116" height="34" rx="10" fill="' + a + '"/>';
        break;
      case "socks":
        shapes = '<path d="M92 38 H128 V118 Q128 146 104 156 L66 170 Q44 176 40 156 Q38 140 58 132 L92 118 Z" fill="' + c + '"/>' +
          '<rect x="92" y="38" width="36" height="18" fill="' + a + '"/>' +
          '<path d="M40 156 Q38 140 58 132 L62 152 Q50 160 48 170 Q42 166 40 156 Z" fill="' + a + '"/>' +
          '<path d="M112 130 Q128 130 126 112 L128 118 Q128 140 110 150 Z" fill="' + a + '"/>';
        break;
      case "mug":
        shapes = '<path d="M80 52 q-8 -10 0 -20 M100 52 q-8 -10 0 -20 M120 52 q-8 -10 0 -20" stroke="' + c + '" stroke-width="4" stroke-linecap="round" fill="none" opacity=".35"/>' +
          '<path d="M136 86 q34 0 34 28 q0 28 -34 28" fill="none" stroke="' + c + '" stroke-width="12"/>' +
          '<rect x="52" y="64" width="88" height="102" rx="12" fill="' + c + '"/>' +
          '<rect x="52" y="64" width="88" height="16" rx="6" fill="' + a + '" opacity=".9"/>';
        break;
      case "candle":
        shapes = '<path d="M100 36 q14 18 0 30 q-14 -12 0 -30 Z" fill="#f2a33a"/>' +
          '<path d="M100 48 q6 8 0 14 q-6 -6 0 -14 Z" fill="#fde7a9"/>' +
          '<rect x="98" y="64" width="4" height="14" fill="#333"/>' +
          '<rect x="56" y="72" width="88" height="100" rx="14" fill="' + c + '"/>' +
          '<rect x="56" y="72" width="88" height="12" rx="6" fill="#fff" opacity=".5"/>' +
          '<rect x="70" y="108" width="60" height="40" rx="4" fill="' + a + '"/>' +
          '<rect x="80" y="122" width="40" height="4" fill="#fff" opacity=".7"/>';
        break;
      case "planter":
        shapes = '<ellipse cx="80" cy="74" rx="14" ry="34" transform="rotate(-30 80 74)" fill="' + a + '"/>' +
          '<ellipse cx="120" cy="70" rx="14" ry="36" transform="rotate(28 120 70)" fill="' + a + '" opacity=".85"/>' +
          '<ellipse cx="100" cy="60" rx="12" ry="38" fill="' + a + '"/>' +
          '<path d="M100 26 V96" stroke="#fff" stroke-width="2" opacity=".35"/>' +
          '<path d="M62 112 H138 L128 172 H72 Z" fill="' + c + '"/>' +
          '<rect x="54" y="102" width="92" height="18" rx="4" fill="' + c + '"/>' +
          '<rect x="54" y="114" width="92" height="6" fill="#000" opacity=".12"/>';
        break;
      case "notebook":
        shapes = '<rect x="56" y="34" width="94" height="136" rx="7" fill="' + c + '"/>' +
          '<rect x="56" y="34" width="14" height="136" rx="4" fill="#000" opacity=".2"/>' +
          '<rect x="130" y="34" width="7" height="136" fill="' + a + '"/>' +
          '<rect x="80" y="62" width="40" height="24" rx="3" fill="#fff" opacity=".9"/>';
        break;
      case "pen":
        shapes = '<g transform="rotate(35 100 100)">' +
          '<rect x="91" y="22" width="18" height="122" rx="8" fill="' + c + '"/>' +
          '<rect x="109" y="32" width="5" height="46" rx="2" fill="' + a + '"/>' +
          '<rect x="91" y="66" width="18" height="5" fill="' + a + '" opacity=".6"/>' +
          '<path d="M92 142 H108 L100 172 Z" fill="' + a + '"/></g>';
        break;
      default:
        shapes = '<rect x="60" y="60" width="80" height="80" rx="12" fill="' + c + '"/>';
    }
    return '<svg class="art" viewBox="0 0 200 200" role="img" aria-label="' + escapeHTML(p.name) + '">' +
      '<ellipse cx="100" cy="178" rx="58" ry="7" fill="#000" opacity=".08"/>' + shapes + "</svg>";
  }

  function mountArt(el, p) {
    el.innerHTML = art(p);
    el.style.backgroundColor = p.bg;
  }

  // fetchStock asks the shop's API how many of each product are left and calls done with
  // {id: count}. A failure leaves the stock lines empty: stock is a nicety, never a blocker.
  function fetchStock(ids, done) {
    fetch("api/stock?ids=" + encodeURIComponent(ids.join(",")))
      .then(function (r) { return r.ok ? r.json() : { stock: {} }; })
      .then(function (body) { done(body.stock || {}); })
      .catch(function () {});
  }

  function stockText(n) {
    if (typeof n !== "number") return "";
    return n <= 5 ? "Only " + n + " left" : "In stock";
  }

  document.addEventListener("DOMContentLoaded", function () {
    updateCartCount();
    var track = document.querySelector("[data-testid=track-order]");
    if (track) track.addEventListener("click", trackLatestOrder);
  });

  // Another tab changing the cart should show in this tab's header too.
  window.addEventListener("storage", function (e) {
    if (e.key === CART_KEY) updateCartCount();
  });

  return {
    categories: categories,
    products: products,
    byId: byId,
    sizesOf: sizesOf,
    defaultSize: defaultSize,
    reviewsFor: reviewsFor,
    formatPrice: formatPrice,
    escapeHTML: escapeHTML,
    stars: stars,
    loadCart: loadCart,
    addToCart: addToCart,
    setQty: setQty,
    removeFromCart: removeFromCart,
    cartCount: cartCount,
    totals: totals,
    loadOrders: loadOrders,
    placeOrder: placeOrder,
    freeShippingFrom: FREE_SHIPPING_FROM,
    toast: toast,
    art: art,
    mountArt: mountArt,
    fetchStock: fetchStock,
    stockText: stockText
  };
})();
