/* The journey view's one action: "Ask why" creates the stage's recipe through the JSON API
 * (POST /api/v1/journeys/<id>/stages/<n>/recipe, on the admin session with X-CSRFToken) and
 * opens it in the recipe builder, disabled, for a person to review. */
(function () {
  "use strict";
  const csrf = document.getElementById("csrf").value;
  const builder = document.currentScript.dataset.builder;
  document.querySelectorAll("form[data-ask-why]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = form.querySelector("[role=status]");
      status.textContent = "Creating the recipe…";
      const answer = await fetch(form.dataset.askWhy, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ campaign_id: Number(form.elements.campaign_id.value) }),
      });
      const data = await answer.json().catch(() => null);
      if (answer.ok) window.location.href = `${builder}${data.recipe.id}/`;
      else status.textContent = (data && data.error && data.error.message) || `HTTP ${answer.status}`;
    });
  });
})();
