// Minimal JSON output for the fer tool: one object per line, keys in the order written.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace cli {

inline std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (const unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += char(c);
                }
        }
    }
    return out + "\"";
}

// Shortest round-trippable-enough text for a finite number; JSON has no NaN or infinity.
inline std::string json_number(double value, int digits = 6) {
    if (!std::isfinite(value)) return "null";
    char text[64];
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    return text;
}

// Builds {"key": value, ...} with values already rendered as JSON.
class JsonObject {
  public:
    JsonObject& raw(const std::string& key, const std::string& json) {
        body_ += (body_.empty() ? "" : ", ") + json_string(key) + ": " + json;
        return *this;
    }
    JsonObject& text(const std::string& key, const std::string& value) {
        return raw(key, json_string(value));
    }
    JsonObject& number(const std::string& key, double value, int digits = 6) {
        return raw(key, json_number(value, digits));
    }
    std::string str() const { return "{" + body_ + "}"; }

  private:
    std::string body_;
};

}  // namespace cli
