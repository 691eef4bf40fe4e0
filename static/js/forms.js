// A form sent back with errors: focus moves to the summary of them at its top, whose links
// lead to each field.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
