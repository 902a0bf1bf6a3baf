// Product detail: size, quantity stepper, add to cart, reviews and related
// products, all for the product named by ?id= in the URL.
"use strict";

(function () {
  var id = new URLSearchParams(window.location.search).get("id");
  var p = Shop.byId(id);
  if (!p) {
    document.querySelector("[data-testid=product-detail]").hidden = true;
    document.querySelector("[data-testid=reviews]").hidden = true;
    document.querySelector("[data-testid=product-not-found]").hidden = false;
    document.querySelector(".breadcrumb").hidden = true;
    document.title = "Product not found \u2014 Reel Supply Co.";
    renderRelated(null);
    return;
  }

  document.title = p.name + " \u2014 Reel Supply Co.";
  var cat = Shop.categories.filter(function (c) { return c.id === p.category; })[0];
  document.querySelector("[data-testid=breadcrumb-category]").textContent = cat.name;
  document.querySelector("[data-testid=product-title]").textContent = p.name;
  document.querySelector("[data-testid=product-price]").textContent = Shop.formatPrice(p.price);
  document.querySelector("[data-testid=product-description]").textContent = p.blurb;
  if (p.badge) {
    var badge = document.querySelector("[data-testid=product-badge]");
    badge.textContent = p.badge;
    badge.hidden = false;
  }
  // The photo shows a zoom cursor but has no zoom: a dead click visitors
  // really do make on shops like this one.
  Shop.mountArt(document.querySelector("[data-testid=product-image]"), p);

  Shop.fetchStock([p.id], function (stock) {
    document.querySelector("[data-testid=product-stock]").textContent = Shop.stockText(stock[p.id]);
  });

  var size = document.querySelector("[data-testid=size-select]");
  Shop.sizesOf(p).forEach(function (s) {
    var o = document.createElement("option");
    o.value = s;
    o.textContent = s;
    size.appendChild(o);
  });
  size.value = Shop.defaultSize(p);
  size.disabled = !p.sizes;

  var qty = document.querySelector("[data-testid=qty-value]");
  function setQty(n) {
    n = parseInt(n, 10);
    if (isNaN(n)) n = 1;
    qty.value = String(Math.max(1, Math.min(n, 10)));
  }
  document.querySelector("[data-testid=qty-minus]").addEventListener("click", function () {
    setQty(parseInt(qty.value, 10) - 1);
  });
  document.querySelector("[data-testid=qty-plus]").addEventListener("click", function () {
    setQty(parseInt(qty.value, 10) + 1);
  });
  qty.addEventListener("change", function () { setQty(qty.value); });

  var form = document.querySelector("[data-testid=buy-form]");
  var add = document.querySelector("[data-testid=add-to-cart]");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    setQty(qty.value);
    var n = parseInt(qty.value, 10);
    Shop.addToCart(p.id, size.value, n);
    add.textContent = "Added \u2713";
    add.classList.add("is-done");
    setTimeout(function () {
      add.textContent = "Add to cart";
      add.classList.remove("is-done");
    }, 1400);
    Shop.toast((n > 1 ? n + " \u00d7 " : "") + p.name + (p.sizes ? " (" + size.value + ")" : "") + " added to your cart.", "View cart", "cart.html");
  });

  var reviews = Shop.reviewsFor(p);
  var avg = reviews.reduce(function (s, r) { return s + r.stars; }, 0) / reviews.length;
  var avgText = avg.toFixed(1) + " out of 5 \u00b7 " + reviews.length + " reviews";
  document.querySelector(".product-rating .stars").textContent = Shop.stars(avg);
  document.querySelector(".product-rating .rating-text").textContent = avgText;
  document.querySelector("[data-testid=reviews-summary]").innerHTML =
    '<span class="stars" aria-hidden="true">' + Shop.stars(avg) + "</span> " + Shop.escapeHTML(avgText);
  var list = document.querySelector("[data-testid=review-list]");
  reviews.forEach(function (r) {
    var li = document.createElement("li");
    li.className = "review";
    li.setAttribute("data-testid", "review");
    li.innerHTML =
      '<div class="review-head"><span class="stars" aria-label="' + r.stars + ' out of 5 stars">' + Shop.stars(r.stars) + "</span>" +
      "<strong>" + Shop.escapeHTML(r.title) + "</strong></div>" +
      "<p>" + Shop.escapeHTML(r.text) + "</p>" +
      '<p class="review-meta">' + Shop.escapeHTML(r.name) + " \u00b7 Verified buyer \u00b7 " + Shop.escapeHTML(r.date) + "</p>";
    list.appendChild(li);
  });

  renderRelated(p);

  function renderRelated(current) {
    var grid = document.querySelector("[data-testid=related-products]");
    var pool = Shop.products.filter(function (q) { return q !== current; });
    var same = pool.filter(function (q) { return current && q.category === current.category; });
    var picks = same.concat(pool.filter(function (q) { return same.indexOf(q) === -1; })).slice(0, 4);
    picks.forEach(function (q) {
      var a = document.createElement("a");
      a.className = "product-card product-card-link";
      a.href = "product.html?id=" + encodeURIComponent(q.id);
      a.setAttribute("data-testid", "related-product");
      a.innerHTML = '<div class="product-media"></div><div class="product-card-body"><h3 class="product-name">' +
        Shop.escapeHTML(q.name) + '</h3><p class="product-price">' + Shop.formatPrice(q.price) + "</p></div>";
      Shop.mountArt(a.querySelector(".product-media"), q);
      grid.appendChild(a);
    });
  }
})();
