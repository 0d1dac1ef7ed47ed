// The console's few behaviours: a canned reply fills the message box; "r" and "n" jump to it (reply or
// internal note) unless the user is typing somewhere. Everything works without this file too.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-fills]");
  if (select && select.value) {
    const box = document.getElementById(select.dataset.fills);
    box.value = select.value;
    box.focus();
  }
});
document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const box = document.getElementById("id_body");
  if (!box) return;
  if (event.key === "r" || event.key === "n") {
    event.preventDefault();
    box.dataset.internal = event.key === "n" ? "1" : "0";
    box.placeholder = event.key === "n" ? "Internal note" : "Reply to the customer";
    box.focus();
  }
});
