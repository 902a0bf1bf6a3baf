// Product list: category tabs, live search and "Add to cart" on each card.
"use strict";

(function () {
  var grid = document.querySelector("[data-testid=product-grid]");
  var tabs = document.querySelector("[data-testid=category-tabs]");
  var search = document.querySelector("[data-testid=search]");
  var count = document.querySelector("[data-testid=result-count]");
  var empty = document.querySelector("[data-testid=no-results]");
  var title = document.getElementById("catalog-title");
  var state = { category: "all", query: "" };
  // Stock comes from the shop's API (a real request the replay's network pane shows); until
  // it answers, the cards leave its line empty.
  var stock = {};

  Shop.categories.forEach(function (c) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "tab";
    b.textContent = c.name;
    b.setAttribute("role", "tab");
    b.setAttribute("data-testid", "category-tab");
    b.setAttribute("data-category", c.id);
    b.addEventListener("click", function () {
      state.category = c.id;
      render();
      refreshShownStock();
    });
    tabs.appendChild(b);
  });

  function card(p) {
    var el = document.createElement("article");
    el.className = "product-card";
    el.setAttribute("data-testid", "product-card");
    el.setAttribute("data-product-id", p.id);
    var href = "product.html?id=" + encodeURIComponent(p.id);
    el.innerHTML =
      '<a class="product-media" href="' + href + '" tabindex="-1" aria-hidden="true"></a>' +
      (p.badge ? '<span class="badge">' + Shop.escapeHTML(p.badge) + "</span>" : "") +
      '<div class="product-card-body">' +
      '<h3 class="product-name"><a href="' + href + '" data-testid="product-link">' + Shop.escapeHTML(p.name) + "</a></h3>" +
      '<p class="product-price" data-testid="product-price">' + Shop.formatPrice(p.price) + "</p>" +
      '<button type="button" class="button button-small" data-testid="add-to-cart">Add to cart</button>' +
      '<p class="product-stock" data-testid="product-stock">' + Shop.escapeHTML(Shop.stockText(stock[p.id])) + "</p>" +
      "</div>";
    Shop.mountArt(el.querySelector(".product-media"), p);
    var button = el.querySelector("[data-testid=add-to-cart]");
    button.addEventListener("click", function () {
      Shop.addToCart(p.id, Shop.defaultSize(p), 1);
      button.textContent = "Added \u2713";
      button.classList.add("is-done");
      setTimeout(function () {
        button.textContent = "Add to cart";
        button.classList.remove("is-done");
      }, 1400);
      Shop.toast(p.name + " added to your cart.", "View cart", "cart.html");
    });
    return el;
  }

  function matches(p) {
    if (state.category !== "all" && p.category !== state.category) return false;
    var q = state.query.trim().toLowerCase();
    if (!q) return true;
    var hay = (p.name + " " + p.category + " " + p.blurb).toLowerCase();
    return q.split(/\s+/).every(function (word) { return hay.indexOf(word) !== -1; });
  }

  function render() {
    var shown = Shop.products.filter(matches);
    grid.textContent = "";
    shown.forEach(function (p) { grid.appendChild(card(p)); });

    var buttons = tabs.querySelectorAll(".tab");
    for (var i = 0; i < buttons.length; i++) {
      var on = buttons[i].getAttribute("data-category") === state.category;
      buttons[i].classList.toggle("is-active", on);
      buttons[i].setAttribute("aria-selected", on ? "true" : "false");
    }
    var cat = Shop.categories.filter(function (c) { return c.id === state.category; })[0];
    title.textContent = state.category === "all" ? "All products" : cat.name;
    count.textContent = shown.length + (shown.length === 1 ? " product" : " products");
    empty.hidden = shown.length !== 0;
    empty.querySelector(".no-results-query").textContent = "\u201c" + state.query.trim() + "\u201d" +
      (state.category === "all" ? "" : " in " + cat.name);
  }

  search.addEventListener("input", function () {
    state.query = search.value;
    render();
    refreshShownStock();
  });
  document.querySelector("[data-testid=clear-search]").addEventListener("click", function () {
    search.value = "";
    state.query = "";
    state.category = "all";
    render();
    search.focus();
  });

  // Stock is asked for when the page opens, and again for the cards on screen a moment after
  // a search or a category changes them (things sell meanwhile).
  var stockTimer = null, answered = 0;
  function refreshStock(ids) {
    Shop.fetchStock(ids, function (got) {
      Object.keys(got).forEach(function (id) { stock[id] = got[id]; });
      answered++;
      grid.setAttribute("data-stock-answers", String(answered));
      var cards = grid.querySelectorAll("[data-testid=product-card]");
      for (var i = 0; i < cards.length; i++) {
        cards[i].querySelector("[data-testid=product-stock]").textContent = Shop.stockText(stock[cards[i].getAttribute("data-product-id")]);
      }
    });
  }
  function refreshShownStock() {
    clearTimeout(stockTimer);
    stockTimer = setTimeout(function () {
      var ids = Shop.products.filter(matches).map(function (p) { return p.id; });
      if (ids.length) refreshStock(ids);
    }, 400);
  }

  render();
  refreshStock(Shop.products.map(function (p) { return p.id; }));
})();
