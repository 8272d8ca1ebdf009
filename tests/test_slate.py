"""The Slate document rendered to clean HTML and to body_text."""

import json

import pytest

from swampcrawl.pages.slate import SlateError, render


def text(value, marks=()):
    return {"object": "text", "text": value, "marks": [{"object": "mark", "type": m, "data": {}} for m in marks]}


def block(kind, *nodes, data=None):
    return {"object": "block", "type": kind, "data": data or {}, "nodes": list(nodes)}


def link(href, *nodes):
    return {"object": "inline", "type": "link", "data": {"href": href}, "nodes": list(nodes)}


def doc(*nodes):
    return {"object": "document", "data": {}, "nodes": list(nodes)}


def test_marks_and_links():
    body = render(doc(block("paragraph", text("Plain and "), text("bold", ["bold"]), text(" "), link("https://example.com/x", text("a link")))))
    assert body.html == '<p>Plain and <strong>bold</strong> <a href="https://example.com/x" rel="nofollow noopener">a link</a></p>'
    assert body.text == "Plain and bold a link"


def test_every_mark():
    body = render(doc(block("paragraph", text("x", ["italic", "underline", "strikethrough"]))))
    assert body.html == "<p><s><u><em>x</em></u></s></p>"


def test_json_string_document_equals_object():
    document = doc(block("paragraph", text("Hello")))
    assert render(json.dumps(document)).html == render(document).html == "<p>Hello</p>"


def test_blocks_and_text_convention():
    body = render(doc(
        block("heading", text("A heading")),
        block("paragraph", text("  spaced  ")),
        block("paragraph", text("")),
        block("blockquote", block("paragraph", text("quoted one")), block("paragraph", text("quoted two"))),
        block("unordered-list", block("list-item", text("first")), block("list-item", text("second"))),
        block("ordered-list", block("list-item", block("paragraph", text("para in item")))),
        block("paragraph", text("line one\nline two")),
    ))
    assert body.text == "A heading\n\nspaced\n\nquoted one\n\nquoted two\n\nfirst\n\nsecond\n\npara in item\n\nline one\nline two"
    assert "<h2>A heading</h2>" in body.html
    assert "<blockquote><p>quoted one</p><p>quoted two</p></blockquote>" in body.html
    assert "<ul><li>first</li><li>second</li></ul>" in body.html
    assert "<ol><li><p>para in item</p></li></ol>" in body.html
    assert "<p>line one<br>line two</p>" in body.html
    assert "<p></p>" in body.html  # an empty paragraph is a blank line on the page
    assert body.word_count == 16


def test_images_with_captions_and_embeds():
    content = {
        "images": [{"id": "img1", "large": "https://res.cloudinary.com/jerrick/image/upload/c_fit/abc.jpg"}],
        "oEmbeds": [{"id": "emb1", "embed": {"originalUrl": "https://www.youtube.com/watch?v=x"}}],
    }
    body = render(doc(
        block("cloudinaryImage", block("caption", text("A caption")), data={"_joinIds": ["img1"]}),
        block("oEmbed", data={"_joinIds": ["emb1"]}),
    ), content)
    assert body.html == (
        '<figure><img src="https://res.cloudinary.com/jerrick/image/upload/c_fit/abc.jpg" alt="">'
        "<figcaption>A caption</figcaption></figure>"
        '<p><a href="https://www.youtube.com/watch?v=x" rel="nofollow noopener">https://www.youtube.com/watch?v=x</a></p>'
    )
    assert body.text == "A caption\n\nhttps://www.youtube.com/watch?v=x"


def test_nothing_executable_survives():
    body = render(doc(block("paragraph", text("<script>alert(1)</script>"), link("javascript:alert(1)", text("click")))))
    assert "<script" not in body.html and "javascript:" not in body.html
    assert body.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;click</p>"


def test_unparseable_href_is_dropped():
    body = render(doc(block("paragraph", link("http://[oops", text("click")))))
    assert body.html == "<p>click</p>" and body.text == "click"


@pytest.mark.parametrize("bad", ["{not json", "[]", '{"object": "document"}', 42, None])
def test_bad_documents_raise_slate_error(bad):
    with pytest.raises(SlateError):
        render(bad)


def test_document_nested_deeper_than_python_recursion_is_a_slate_error():
    node = text("deep")
    for _ in range(5000):
        node = block("blockquote", node)
    with pytest.raises(SlateError, match="nested deeper"):
        render(doc(node))
    with pytest.raises(SlateError, match="nested deeper"):
        render('{"object": "document", "nodes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert render(doc(block("paragraph", text("after")))).text == "after"  # nothing left broken
