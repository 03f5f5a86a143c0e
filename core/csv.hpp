// A streaming RFC 4180 reader for the account import: the whole file is a
// string_view, records come out one by one. Standard library only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sesame {

enum class csv_error {
    none,
    unterminated_quote,  // a quoted field runs to the end of the input
};

struct csv_record {
    std::size_t line = 0;             // physical line the record starts on; the header is line 1
    std::vector<std::string> fields;  // unquoted, "" turned into "
    csv_error error = csv_error::none;
};

// Reads records from UTF-8 text (a leading BOM is skipped):
//  - the separator is ';' when the first line holds more ';' than ',' outside
//    quotes, else ',';
//  - fields may be quoted; inside quotes "" is a quote and separators and line
//    breaks are data; characters after a closing quote are kept as data;
//  - records end at LF, CRLF or a lone CR; the last line needs no break;
//  - records whose fields are all empty (blank lines, ";;;;") are skipped;
//  - an unterminated quote yields one record with error set and the fields
//    read so far, then reading stops.
// next() reuses the record's vector and strings, so a loop over a large file
// allocates only when a field grows past anything seen before. The text
// must outlive the reader.
class csv_reader {
public:
    explicit csv_reader(std::string_view text);

    // Fills `record` with the next record; false at the end of the input.
    bool next(csv_record& record);

    char separator() const { return separator_; }
    // Bytes of the input consumed so far (BOM included), for progress display.
    std::size_t position() const { return pos_; }
    std::size_t size() const { return text_.size(); }

private:
    // Reads one record starting at pos_; false when only blanks remained.
    bool read_record(csv_record& record);
    // Consumes a line break at pos_ if there is one.
    bool consume_line_break();

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    char separator_ = ',';
    bool stopped_ = false;
};

// The French label of a csv_error, for import reports.
const char* describe(csv_error e);

}  // namespace sesame
