// fer/detect/detail/xml.hpp - the small XML reader behind the cascade loader (internal).
//
// Reads the subset of XML that OpenCV's FileStorage writes: a declaration, comments, elements
// with attributes, character data with the five predefined entities and numeric references, and
// CDATA sections. Document type declarations and processing instructions inside the document are
// refused (no entity expansion, no external references). Nesting depth and element count are
// bounded by fer/limits.hpp. Attributes are checked for syntax and dropped: cascades carry their
// meaning in elements.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../../error.hpp"
#include "../../limits.hpp"

namespace fer::detail {

struct XmlElement {
    std::string name;
    std::string text;  // character data directly inside this element, concatenated
    std::vector<XmlElement> children;

    // The first child called `child_name`, or nullptr.
    const XmlElement* find(std::string_view child_name) const {
        for (const XmlElement& c : children)
            if (c.name == child_name) return &c;
        return nullptr;
    }
};

class XmlParser {
  public:
    XmlParser(std::string_view text, std::string source)
        : text_(text), source_(std::move(source)) {}

    // The root element. Throws: fer::error naming the source, line and problem.
    XmlElement parse_document() {
        skip_prolog();
        if (!peek_is("<")) error_here("the root element", describe_here());
        XmlElement root = parse_element(1);
        skip_misc();
        if (pos_ != text_.size()) error_here("the end of the document", describe_here());
        return root;
    }

  private:
    std::string_view text_;
    std::string source_;
    std::size_t pos_ = 0;
    std::int64_t elements_ = 0;

    [[noreturn]] void error_here(const std::string& expected, const std::string& found) const {
        int line = 1;
        for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) line += text_[i] == '\n';
        fail(concat(source_, " line ", line), expected, found);
    }

    std::string describe_here() const {
        if (pos_ >= text_.size()) return "the end of the file";
        std::string snippet(text_.substr(pos_, 12));
        for (char& c : snippet)
            if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        return "'" + snippet + "'";
    }

    bool peek_is(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

    void expect(std::string_view s) {
        if (!peek_is(s)) error_here("'" + std::string(s) + "'", describe_here());
        pos_ += s.size();
    }

    void skip_spaces() {
        while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    }

    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
    static bool is_name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.' || c == ':' ||
               static_cast<unsigned char>(c) >= 0x80;
    }

    // Skips up to and including `terminator`.
    void skip_past(std::string_view terminator, const char* what) {
        const std::size_t end = text_.find(terminator, pos_);
        if (end == std::string_view::npos)
            error_here(concat("the end of the ", what), "the end of the file");
        pos_ = end + terminator.size();
    }

    void skip_comment() {
        pos_ += 4;  // "<!--"
        skip_past("-->", "comment");
    }

    // Byte-order mark, declaration, comments and white space before the root.
    void skip_prolog() {
        if (peek_is("\xEF\xBB\xBF")) pos_ += 3;
        skip_spaces();
        if (peek_is("<?xml")) skip_past("?>", "XML declaration");
        skip_misc();
        if (peek_is("<!DOCTYPE")) error_here("no document type declaration", "one");
    }

    void skip_misc() {
        for (;;) {
            skip_spaces();
            if (peek_is("<!--"))
                skip_comment();
            else
                return;
        }
    }

    std::string parse_name() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
        if (pos_ == start) error_here("a name", describe_here());
        return std::string(text_.substr(start, pos_ - start));
    }

    // Appends the character data up to the next '<', decoding references.
    void parse_text(std::string& out) {
        while (pos_ < text_.size() && text_[pos_] != '<') {
            if (text_[pos_] != '&') {
                out += text_[pos_++];
                continue;
            }
            const std::size_t end = text_.find(';', pos_);
            if (end == std::string_view::npos || end - pos_ > 10)
                error_here("an entity reference such as '&amp;'", describe_here());
            const std::string_view entity = text_.substr(pos_ + 1, end - pos_ - 1);
            if (entity == "lt")
                out += '<';
            else if (entity == "gt")
                out += '>';
            else if (entity == "amp")
                out += '&';
            else if (entity == "quot")
                out += '"';
            else if (entity == "apos")
                out += '\'';
            else if (entity.size() >= 2 && entity[0] == '#') {
                // Numeric references are kept only for ASCII: cascades contain nothing else.
                const bool hex = entity[1] == 'x';
                long code = 0;
                for (std::size_t i = hex ? 2 : 1; i < entity.size(); ++i) {
                    const char c = entity[i];
                    const int digit = c >= '0' && c <= '9'          ? c - '0'
                                      : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                                      : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                    : -1;
                    if (digit < 0 || code > 0x10FFFF)
                        error_here("a numeric character reference", describe_here());
                    code = code * (hex ? 16 : 10) + digit;
                }
                if (code <= 0 || code > 0x7F)
                    error_here("an ASCII character reference", describe_here());
                out += char(code);
            } else {
                error_here("one of &lt; &gt; &amp; &quot; &apos; or a numeric reference",
                           "'&" + std::string(entity) + ";'");
            }
            pos_ = end + 1;
        }
    }

    XmlElement parse_element(int depth) {
        if (depth > limits::max_xml_depth)
            error_here(concat("nesting at most ", limits::max_xml_depth, " deep"),
                       "deeper nesting");
        if (++elements_ > limits::max_xml_elements)
            error_here(concat("at most ", limits::max_xml_elements, " elements"), "more");
        expect("<");
        XmlElement element;
        element.name = parse_name();
        // Attributes: name="value" or name='value', checked and dropped.
        for (;;) {
            skip_spaces();
            if (peek_is("/>")) {
                pos_ += 2;
                return element;
            }
            if (peek_is(">")) {
                ++pos_;
                break;
            }
            parse_name();
            skip_spaces();
            expect("=");
            skip_spaces();
            if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\''))
                error_here("a quoted attribute value", describe_here());
            const char quote = text_[pos_++];
            const std::size_t end = text_.find(quote, pos_);
            if (end == std::string_view::npos)
                error_here("the closing quote", "the end of the file");
            pos_ = end + 1;
        }
        // Content: text, comments, CDATA and child elements up to the matching end tag.
        for (;;) {
            parse_text(element.text);
            if (pos_ >= text_.size()) error_here("</" + element.name + ">", "the end of the file");
            if (peek_is("</")) {
                pos_ += 2;
                const std::string closing = parse_name();
                if (closing != element.name)
                    error_here("</" + element.name + ">", "</" + closing + ">");
                skip_spaces();
                expect(">");
                return element;
            }
            if (peek_is("<!--")) {
                skip_comment();
            } else if (peek_is("<![CDATA[")) {
                pos_ += 9;
                const std::size_t end = text_.find("]]>", pos_);
                if (end == std::string_view::npos)
                    error_here("the end of the CDATA section", "the end of the file");
                element.text.append(text_.substr(pos_, end - pos_));
                pos_ = end + 3;
            } else if (peek_is("<?") || peek_is("<!")) {
                error_here("an element, text or comment", describe_here());
            } else {
                element.children.push_back(parse_element(depth + 1));
            }
        }
    }
};

// Parses a whole XML document. `source` names it in error messages (usually the file path).
inline XmlElement parse_xml(std::string_view text, const std::string& source) {
    return XmlParser(text, source).parse_document();
}

}  // namespace fer::detail
