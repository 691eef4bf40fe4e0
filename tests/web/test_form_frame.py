"""What every form of the web application does the same way: errors summed up at the top with
a link to each field, and each checkbox before its label."""

from __future__ import annotations

import re

from .test_web_monitoring import signed_in


def test_a_form_with_errors_sums_them_up_at_the_top_with_a_link_to_each_field(world):
    response = signed_in(world.fr_caseworker).post("/subjects/new/", {"full_name": ""})
    assert response.status_code in (200, 400)
    page = response.content.decode()
    summary = re.search(r'<div class="errors error-summary" role="alert" tabindex="-1"'
                        r'.*?</div>', page, re.S)
    assert summary, "no summary of the errors"
    assert '<a href="#id_full_name">' in summary.group()
    # Before the first field.
    assert summary.start() < page.index('id="id_full_name"')
    assert 'id="id_full_name_error"' in page


def test_a_page_without_errors_has_no_summary_and_checkboxes_come_before_their_labels(world):
    page = signed_in(world.fr_caseworker).get("/subjects/new/").content.decode()
    assert "error-summary" not in page.split("<main", 1)[1].split("</main>")[0]
    boxes = re.findall(r'<input type="checkbox" name="(\w+)"[^>]*id="(id_\w+)"[^>]*>\s*'
                       r'<label for="(id_\w+)">', page)
    assert boxes and all(box_id == label_for for _, box_id, label_for in boxes)
