#include "core/csv.hpp"

namespace sesame {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// Line breaks inside a quoted chunk: LF, CRLF (once) and lone CR.
std::size_t count_line_breaks(std::string_view chunk) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        if (chunk[i] == '\n') ++n;
        else if (chunk[i] == '\r' && (i + 1 == chunk.size() || chunk[i + 1] != '\n')) ++n;
    }
    return n;
}

char detect_separator(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && (text[i] == '\r' || text[i] == '\n')) ++i;
    std::size_t semicolons = 0, commas = 0;
    bool quoted = false;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') quoted = !quoted;  // "" toggles twice: still right
        else if (quoted) continue;
        else if (c == ';') ++semicolons;
        else if (c == ',') ++commas;
        else if (c == '\n' || c == '\r') break;
    }
    return semicolons > commas ? ';' : ',';
}

}  // namespace

const char* describe(csv_error e) {
    switch (e) {
    case csv_error::none: return "";
    case csv_error::unterminated_quote: return "guillemet non fermé : la fin du fichier arrive dans un champ entre guillemets";
    }
    return "";
}

csv_reader::csv_reader(std::string_view text) : text_(text) {
    if (text_.starts_with(utf8_bom)) pos_ = utf8_bom.size();
    separator_ = detect_separator(text_.substr(pos_));
}

bool csv_reader::next(csv_record& record) {
    while (!stopped_ && pos_ < text_.size()) {
        if (read_record(record)) return true;
    }
    return false;
}

bool csv_reader::consume_line_break() {
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '\r') {
        ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    } else if (text_[pos_] == '\n') {
        ++pos_;
    } else {
        return false;
    }
    ++line_;
    return true;
}

bool csv_reader::read_record(csv_record& record) {
    record.line = line_;
    record.error = csv_error::none;
    auto& fields = record.fields;
    const std::size_t n = text_.size();
    const char sep = separator_;
    std::size_t count = 0;
    bool all_empty = true;

    while (true) {
        if (count < fields.size()) fields[count].clear();
        else fields.emplace_back();
        std::string& field = fields[count++];

        if (pos_ < n && text_[pos_] == '"') {
            ++pos_;
            while (true) {
                const std::size_t quote = text_.find('"', pos_);
                if (quote == std::string_view::npos) {
                    const std::string_view rest = text_.substr(pos_);
                    field.append(rest);
                    line_ += count_line_breaks(rest);
                    pos_ = n;
                    fields.resize(count);
                    record.error = csv_error::unterminated_quote;
                    stopped_ = true;
                    return true;
                }
                const std::string_view chunk = text_.substr(pos_, quote - pos_);
                field.append(chunk);
                line_ += count_line_breaks(chunk);
                pos_ = quote + 1;
                if (pos_ < n && text_[pos_] == '"') {
                    field.push_back('"');
                    ++pos_;
                    continue;
                }
                break;
            }
        }
        // Unquoted data, or stray characters after a closing quote.
        const std::size_t start = pos_;
        while (pos_ < n) {
            const char c = text_[pos_];
            if (c == sep || c == '\n' || c == '\r') break;
            ++pos_;
        }
        field.append(text_.data() + start, pos_ - start);
        if (!field.empty()) all_empty = false;

        if (pos_ < n && text_[pos_] == sep) {
            ++pos_;
            continue;
        }
        consume_line_break();
        break;
    }
    fields.resize(count);
    return !all_empty;
}

}  // namespace sesame
