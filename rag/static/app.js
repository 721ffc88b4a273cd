// Clicking [n] in an answer opens its card (also inside a collapsed older turn) and scrolls it into view.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest('a[href^="#src-"]') : null;
  if (!link) return;
  var card = document.getElementById(link.getAttribute("href").slice(1));
  if (!card) return;
  event.preventDefault();
  event.stopPropagation();
  for (var el = card.parentElement; el; el = el.parentElement) { if (el.tagName === "DETAILS") el.open = true; }
  // The least scrolling that shows the card, of the sources panel and then of the page: on a wide screen the chat
  // stays where it is; in a short window, or on a phone where the panel sits below the chat, the page moves too.
  card.scrollIntoView({behavior: "smooth", block: "nearest"});
  card.classList.add("flash");
  setTimeout(function () { card.classList.remove("flash"); }, 1500);
}, true);
// "Copy" under an answer puts it on the clipboard as Markdown (or JSON), decoded from the button's base64 value
// (a value attribute: the chat's sanitizer drops data- attributes).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button.copy-answer") : null;
  if (!button) return;
  event.preventDefault();
  event.stopPropagation();
  var bytes = Uint8Array.from(atob(button.value), function (c) { return c.charCodeAt(0); });
  var text = new TextDecoder().decode(bytes);
  var label = button.textContent;
  function done() { button.textContent = "Copied"; setTimeout(function () { button.textContent = label; }, 1500); }
  function fallback() {  // no clipboard API (a page not served from localhost or https)
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { if (document.execCommand("copy")) done(); } finally { area.remove(); }
  }
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
  else fallback();
}, true);
// Gradio labels each chat message with its raw content, our markup and entities included: screen readers should
// hear the text, so such labels are replaced by the text they hold (a space after each block, as it is shown).
new MutationObserver(function () {
  document.querySelectorAll('[aria-label*="<"], [aria-label*="&"]').forEach(function (el) {
    var label = el.getAttribute("aria-label");
    var body = new DOMParser().parseFromString(label, "text/html").body;  // inert: parsing runs no script
    body.querySelectorAll("p, div, li, summary, br").forEach(function (block) { block.after(" "); });
    var text = body.textContent.replace(/\s+/g, " ").trim();
    if (text !== label) el.setAttribute("aria-label", text);
  });
}).observe(document.documentElement, {subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"]});
