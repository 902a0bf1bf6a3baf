// Cart page: change quantities, remove lines, see totals, go to checkout.
//
// The "Apply coupon" button deliberately has no handler: clicking it does
// nothing at all, the classic dead click that visitors then rage-click.
"use strict";

(function () {
  var lines = document.querySelector("[data-testid=cart-lines]");
  var contents = document.querySelector("[data-testid=cart-contents]");
  var empty = document.querySelector("[data-testid=cart-empty]");

  function line(item) {
    var p = Shop.byId(item.id);
    var li = document.createElement("li");
    li.className = "cart-line";
    li.setAttribute("data-testid", "cart-item");
    li.setAttribute("data-product-id", p.id);
    var href = "product.html?id=" + encodeURIComponent(p.id);
    li.innerHTML =
      '<a class="cart-thumb" href="' + href + '" tabindex="-1" aria-hidden="true"></a>' +
      '<div class="cart-line-info">' +
      '<a class="cart-line-name" href="' + href + '" data-testid="cart-item-name">' + Shop.escapeHTML(p.name) + "</a>" +
      '<p class="cart-line-meta">' + Shop.escapeHTML(item.size) + " \u00b7 " + Shop.formatPrice(p.price) + " each</p>" +
      '<button type="button" class="link-button" data-testid="remove-item">Remove</button>' +
      "</div>" +
      '<div class="stepper">' +
      '<button type="button" class="stepper-btn" data-testid="qty-minus" aria-label="Decrease quantity">\u2212</button>' +
      '<span class="stepper-value" data-testid="qty-value">' + item.qty + "</span>" +
      '<button type="button" class="stepper-btn" data-testid="qty-plus" aria-label="Increase quantity">+</button>' +
      "</div>" +
      '<p class="cart-line-total" data-testid="line-total">' + Shop.formatPrice(p.price * item.qty) + "</p>";
    Shop.mountArt(li.querySelector(".cart-thumb"), p);
    li.querySelector("[data-testid=qty-minus]").disabled = item.qty <= 1;
    li.querySelector("[data-testid=qty-plus]").disabled = item.qty >= 10;
    li.querySelector("[data-testid=qty-minus]").addEventListener("click", function () {
      Shop.setQty(item.id, item.size, item.qty - 1);
      render();
    });
    li.querySelector("[data-testid=qty-plus]").addEventListener("click", function () {
      Shop.setQty(item.id, item.size, item.qty + 1);
      render();
    });
    li.querySelector("[data-testid=remove-item]").addEventListener("click", function () {
      Shop.removeFromCart(item.id, item.size);
      Shop.toast(p.name + " removed.");
      render();
    });
    return li;
  }

  function render() {
    var cart = Shop.loadCart();
    empty.hidden = cart.length !== 0;
    contents.hidden = cart.length === 0;
    lines.textContent = "";
    cart.forEach(function (item) { lines.appendChild(line(item)); });

    var t = Shop.totals(cart);
    document.querySelector("[data-testid=cart-subtotal]").textContent = Shop.formatPrice(t.subtotal);
    document.querySelector("[data-testid=cart-shipping]").textContent = t.shipping === 0 ? "Free" : Shop.formatPrice(t.shipping);
    document.querySelector("[data-testid=cart-total]").textContent = Shop.formatPrice(t.total);
    var left = Shop.freeShippingFrom - t.subtotal;
    document.querySelector("[data-testid=shipping-note]").textContent = left > 0
      ? "Add " + Shop.formatPrice(left) + " more for free shipping."
      : "Your order ships free.";
  }

  window.addEventListener("storage", render);
  render();
})();
