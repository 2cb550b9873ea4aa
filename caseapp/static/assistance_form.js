// Show the amount and currency only for types that carry an amount; the server ignores them otherwise.
(function () {
  const select = document.getElementById("type_id");
  if (!select) return;
  const status = document.getElementById("status");
  function update() {
    const option = select.options[select.selectedIndex];
    const carries = option && option.dataset.amount === "yes";
    const approval = option && option.dataset.approval === "yes";
    document.querySelectorAll(".money-field").forEach(function (el) { el.hidden = !carries; });
    document.getElementById("approval-hint").hidden = !approval;
    if (status && !select.disabled) {
      for (const opt of status.options) {
        if (opt.value === "delivered") opt.disabled = approval;
      }
      if (approval && status.value === "delivered") status.value = "requested";
    }
  }
  select.addEventListener("change", update);
  update();
})();
