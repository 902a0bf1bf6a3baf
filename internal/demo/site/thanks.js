// Order confirmation for the most recent order placed in this browser.
"use strict";

(function () {
  var orders = Shop.loadOrders();
  var order = orders[orders.length - 1];
  if (!order) return;

  document.querySelector("[data-testid=order-number]").textContent = order.number;
  document.querySelector(".order-number-line").hidden = false;
  var first = (order.name || "").split(" ")[0];
  document.querySelector("[data-testid=order-message]").textContent =
    (first ? first + ", your" : "Your") + " order is confirmed and we\u2019ve emailed a receipt to " + order.email + ".";

  var list = document.querySelector("[data-testid=order-lines]");
  order.items.forEach(function (item) {
    var p = Shop.byId(item.id);
    if (!p) return;
    var li = document.createElement("li");
    li.innerHTML = '<span class="summary-thumb"></span><span class="summary-name">' + Shop.escapeHTML(p.name) +
      "<small>" + Shop.escapeHTML(item.size) + " \u00b7 Qty " + item.qty + "</small></span>" +
      '<span class="summary-price">' + Shop.formatPrice(p.price * item.qty) + "</span>";
    Shop.mountArt(li.querySelector(".summary-thumb"), p);
    list.appendChild(li);
  });
  document.querySelector("[data-testid=order-total]").textContent = Shop.formatPrice(order.totals.total);
  document.querySelector("[data-testid=order-details]").hidden = false;
})();
