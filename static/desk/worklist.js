// "Select all on this page": the header checkbox ticks every row's box (without JavaScript the
// "Apply to all on this page" button does the same on the server).
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-select-all]");
  if (!all) return;
  const boxes = () => document.querySelectorAll("#wl-bulk input[name=invoice]");
  all.hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  document.getElementById("wl-bulk").addEventListener("change", (event) => {
    if (event.target.name !== "invoice") return;
    const list = [...boxes()];
    all.checked = list.every((box) => box.checked);
    all.indeterminate = !all.checked && list.some((box) => box.checked);
  });
});
