// The share card's copy button: copies the link named by data-copy-from and says so in a live region.
// A file, not an inline script, so a Content-Security-Policy without 'unsafe-inline' allows it.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-from]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyFrom);
  const status = document.getElementById(button.dataset.copyStatus);
  if (!source) return;
  const text = source.value || source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
    if (status) status.textContent = "Link copied.";
  } catch (error) {
    // No clipboard (an old browser, or a page not served over https): select it for a manual copy.
    if (source.select) source.select();
    if (status) status.textContent = "Select the link and copy it.";
  }
});
