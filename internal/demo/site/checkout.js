// Checkout: an order summary and a form validated in the page, with an
// inline message under each field that is wrong. A valid submit places the
// order (in localStorage) and goes to thanks.html.
"use strict";

(function () {
  var form = document.querySelector("[data-testid=checkout-form]");
  var submit = document.querySelector("[data-testid=checkout-submit]");

  function renderSummary() {
    var cart = Shop.loadCart();
    var list = document.querySelector("[data-testid=summary-lines]");
    list.textContent = "";
    if (cart.length === 0) {
      var li = document.createElement("li");
      li.className = "summary-empty";
      li.textContent = "Your cart is empty.";
      list.appendChild(li);
    }
    cart.forEach(function (item) {
      var p = Shop.byId(item.id);
      var li = document.createElement("li");
      li.innerHTML = '<span class="summary-thumb"></span><span class="summary-name">' + Shop.escapeHTML(p.name) +
        '<small>' + Shop.escapeHTML(item.size) + " \u00b7 Qty " + item.qty + "</small></span>" +
        '<span class="summary-price">' + Shop.formatPrice(p.price * item.qty) + "</span>";
      Shop.mountArt(li.querySelector(".summary-thumb"), p);
      list.appendChild(li);
    });
    var t = Shop.totals(cart);
    document.querySelector("[data-testid=summary-subtotal]").textContent = Shop.formatPrice(t.subtotal);
    document.querySelector("[data-testid=summary-shipping]").textContent = t.shipping === 0 ? "Free" : Shop.formatPrice(t.shipping);
    document.querySelector("[data-testid=summary-total]").textContent = Shop.formatPrice(t.total);
  }

  function digits(s) {
    return s.replace(/[\s-]/g, "");
  }

  // Luhn checksum, the same first check a real payment form makes.
  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = number.charCodeAt(number.length - 1 - i) - 48;
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  // Each rule returns an error message, or "" when the value is fine.
  var rules = {
    name: function (v) { return v.trim().length < 2 ? "Enter your full name." : ""; },
    email: function (v) {
      if (!v.trim()) return "Enter your email address.";
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) ? "" : "Enter an email address like name@example.com.";
    },
    address: function (v) { return v.trim() ? "" : "Enter your street address."; },
    city: function (v) { return v.trim() ? "" : "Enter your city."; },
    postcode: function (v) { return v.trim() ? "" : "Enter your postal code."; },
    card: function (v) {
      var n = digits(v);
      if (!n) return "Enter your card number.";
      if (!/^\d{13,19}$/.test(n) || !luhn(n)) return "That card number isn\u2019t valid. Check it and try again.";
      return "";
    },
    expiry: function (v) {
      var m = /^\s*(\d{1,2})\s*\/\s*(\d{2})\s*$/.exec(v);
      if (!v.trim()) return "Enter the expiry date.";
      if (!m || +m[1] < 1 || +m[1] > 12) return "Enter the expiry as MM/YY.";
      var now = new Date();
      var year = 2000 + +m[2], month = +m[1];
      if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) return "This card has expired.";
      return "";
    },
    cvc: function (v) { return /^\d{3,4}$/.test(v.trim()) ? "" : "Enter the 3 or 4 digit code on the back of your card."; }
  };

  function check(name) {
    var input = form.elements[name];
    var msg = rules[name](input.value);
    var err = document.getElementById(name + "-error");
    err.textContent = msg;
    err.hidden = !msg;
    input.setAttribute("aria-invalid", msg ? "true" : "false");
    input.closest(".field").classList.toggle("has-error", !!msg);
    return !msg;
  }

  // Fields are checked on submit, then again on every keystroke once they
  // show an error, so a fix clears the message. They are not checked on blur:
  // a message appearing then would push the submit button down between the
  // press and the release of the click that caused the blur.
  Object.keys(rules).forEach(function (name) {
    var input = form.elements[name];
    input.addEventListener("input", function () {
      if (input.getAttribute("aria-invalid") === "true") check(name);
    });
  });

  var expiry = form.elements.expiry;
  // The "/" after the month is typed for the visitor, and a "/" they type themselves (as
  // in 12/29) is not doubled: the value is rebuilt from its digits as "MM/YY".
  expiry.addEventListener("input", function (e) {
    if (e.inputType && e.inputType.indexOf("delete") === 0) return;
    var v = expiry.value.replace(/[^\d\/]/g, "").replace(/\/+/g, "/");
    if (/^\d{2}$/.test(v)) v += "/";
    else if (/^\d{3,4}$/.test(v)) v = v.slice(0, 2) + "/" + v.slice(2);
    if (v !== expiry.value) expiry.value = v;
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var firstBad = null;
    Object.keys(rules).forEach(function (name) {
      if (!check(name) && !firstBad) firstBad = form.elements[name];
    });
    if (firstBad) {
      firstBad.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Placing order\u2026";
    setTimeout(function () {
      Shop.placeOrder({ name: form.elements.name.value.trim(), email: form.elements.email.value.trim() });
      window.location.href = "thanks.html";
    }, 700);
  });

  // The delivery estimate comes from the shop's API, whose delivery endpoint fails on
  // purpose (a 500 every visit): the summary says so, and the replay's network pane shows
  // the failing request next to the moment it happened.
  function estimateDelivery() {
    var out = document.querySelector("[data-testid=summary-delivery]");
    fetch("api/delivery")
      .then(function (r) {
        if (!r.ok) throw new Error("delivery estimate: HTTP " + r.status);
        return r.json();
      })
      .then(function (body) { out.textContent = body.estimate; })
      .catch(function () { out.textContent = "Estimate unavailable"; });
  }

  renderSummary();
  estimateDelivery();
})();
