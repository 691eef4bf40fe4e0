// A table wider than its box scrolls inside it (see the stylesheet's narrow-screen rules): it is
// then given keyboard focus and a name, so the keyboard can scroll it too.
const focusableWhenScrolling = () => {
  for (const table of document.querySelectorAll("main table")) {
    const scrolls = table.scrollWidth > table.clientWidth + 1;
    if (scrolls && !table.hasAttribute("tabindex")) {
      table.setAttribute("tabindex", "0");
      table.dataset.scrollFocus = "yes";
      if (!table.hasAttribute("aria-label") && !table.querySelector("caption")) {
        const heading = table.closest("section")?.querySelector("h2, h3");
        if (heading) table.setAttribute("aria-label", heading.textContent.trim());
      }
    } else if (!scrolls && table.dataset.scrollFocus === "yes") {
      table.removeAttribute("tabindex");
      delete table.dataset.scrollFocus;
    }
  }
};
document.addEventListener("DOMContentLoaded", focusableWhenScrolling);
window.addEventListener("resize", focusableWhenScrolling);
// Tables that htmx brings in later (the auditor's record on the dashboard) too.
document.addEventListener("htmx:afterSettle", focusableWhenScrolling);
