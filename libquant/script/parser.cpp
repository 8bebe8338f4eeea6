#include <cctype>
#include <cstdlib>

#include "core/error.h"
#include "core/file_io.h"
#include "script/ast.h"

namespace quant::script {
namespace {

enum class Tok { Word, Number, String, Glob, LParen, RParen, LBracket, RBracket, Comma, Equals, Newline, End };

struct Token {
  Tok kind;
  std::string text;
  Pos pos;
};

const char* describe(Tok t) {
  switch (t) {
    case Tok::Word: return "a name";
    case Tok::Number: return "a number";
    case Tok::String: return "a string";
    case Tok::Glob: return "a {glob}";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::LBracket: return "'['";
    case Tok::RBracket: return "']'";
    case Tok::Comma: return "','";
    case Tok::Equals: return "'='";
    case Tok::Newline: return "the end of the line";
    case Tok::End: return "the end of the file";
  }
  return "?";
}

// Characters of a bare word: layer names like /body/body.0/Gemm, net/conv45, onnx::Conv_159.
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == ':' || c == '-'; }

class Lexer {
 public:
  Lexer(const Script& script, const std::string& text) : script_(script), text_(text) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    while (i_ < text_.size()) {
      const char c = text_[i_];
      const Pos pos = here();
      if (c == '#') {
        while (i_ < text_.size() && text_[i_] != '\n') advance();
      } else if (c == '\n') {
        out.push_back({Tok::Newline, "\n", pos});
        advance();
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        advance();
      } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '=') {
        static const std::string kChars = "()[],=";
        static const Tok kKinds[] = {Tok::LParen, Tok::RParen, Tok::LBracket, Tok::RBracket, Tok::Comma, Tok::Equals};
        out.push_back({kKinds[kChars.find(c)], std::string(1, c), pos});
        advance();
      } else if (c == '"' || c == '\'') {
        advance();
        std::string s;
        while (i_ < text_.size() && text_[i_] != c && text_[i_] != '\n') s += text_[i_], advance();
        if (i_ >= text_.size() || text_[i_] != c) fail_at(script_, pos, std::string("unterminated string (no closing ") + c + ")");
        advance();
        out.push_back({Tok::String, s, pos});
      } else if (c == '{') {
        advance();
        std::string s;
        while (i_ < text_.size() && text_[i_] != '}' && text_[i_] != '\n') s += text_[i_], advance();
        if (i_ >= text_.size() || text_[i_] != '}') fail_at(script_, pos, "unterminated '{' glob (expected '}' on the same line)");
        advance();
        out.push_back({Tok::Glob, s, pos});
      } else if (word_char(c) || c == '+') {
        std::string s;
        while (i_ < text_.size() && (word_char(text_[i_]) || text_[i_] == '+')) s += text_[i_], advance();
        out.push_back({is_number(s) ? Tok::Number : Tok::Word, s, pos});
      } else {
        fail_at(script_, pos, std::string("unexpected character '") + c + "'");
      }
    }
    out.push_back({Tok::Newline, "\n", here()});
    out.push_back({Tok::End, "", here()});
    return out;
  }

 private:
  static bool is_number(const std::string& s) {
    if (s.empty()) return false;
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    const bool starts_like_number = std::isdigit(static_cast<unsigned char>(s[0])) || ((s[0] == '-' || s[0] == '+' || s[0] == '.') && s.size() > 1);
    return starts_like_number && end == s.c_str() + s.size();
  }
  Pos here() const { return {line_, col_}; }
  void advance() {
    if (text_[i_] == '\n') ++line_, col_ = 1;
    else ++col_;
    ++i_;
  }
  const Script& script_;
  const std::string& text_;
  size_t i_ = 0;
  int line_ = 1, col_ = 1;
};

class Parser {
 public:
  Parser(Script& script, std::vector<Token> tokens) : script_(script), tokens_(std::move(tokens)) {}

  void run() {
    while (peek().kind != Tok::End) {
      if (peek().kind == Tok::Newline) {
        ++at_;
        continue;
      }
      script_.statements.push_back(statement());
      const Token& t = peek();
      if (t.kind != Tok::Newline && t.kind != Tok::End) fail_at(script_, t.pos, "unexpected " + shown(t) + " after the command (expected the end of the line)");
    }
  }

 private:
  // Inside brackets, line ends are only white space.
  const Token& peek() {
    while (depth_ > 0 && tokens_[at_].kind == Tok::Newline) ++at_;
    return tokens_[at_];
  }
  Token take() {
    const Token t = peek();
    ++at_;
    return t;
  }
  static std::string shown(const Token& t) {
    return t.kind == Tok::Newline || t.kind == Tok::End ? describe(t.kind) : "'" + shortened(t.text, 60) + "'";
  }
  Token expect(Tok kind, const std::string& context) {
    const Token& t = peek();
    if (t.kind != kind) {
      if (t.kind == Tok::End && !open_.empty())
        fail_at(script_, open_.back(), std::string("unterminated '") + open_char_.back() + "' opened here");
      fail_at(script_, t.pos, "expected " + std::string(describe(kind)) + " " + context + ", found " + shown(t));
    }
    return take();
  }
  // Brackets nest a few levels in real scripts; the bound keeps a hostile one from exhausting the
  // stack (value() recurses once per '[').
  static constexpr int kMaxNesting = 32;
  void open(const Token& t, char c) {
    if (depth_ >= kMaxNesting) fail_at(script_, t.pos, "brackets nested deeper than " + std::to_string(kMaxNesting) + " levels");
    ++depth_;
    open_.push_back(t.pos);
    open_char_.push_back(c);
  }
  void close() {
    --depth_;
    open_.pop_back();
    open_char_.pop_back();
  }

  Statement statement() {
    Statement s;
    Token first = expect(Tok::Word, "to start a command");
    // `a, b = command(...)` or `a = command(...)` or `command(...)`
    if (peek().kind == Tok::Comma || peek().kind == Tok::Equals) {
      s.targets.push_back(first.text);
      while (peek().kind == Tok::Comma) {
        take();
        s.targets.push_back(expect(Tok::Word, "(a name to assign)").text);
      }
      expect(Tok::Equals, "after the names to assign");
      first = expect(Tok::Word, "(a command name)");
    }
    s.command = first.text;
    s.pos = first.pos;
    const Token lp = expect(Tok::LParen, "after the command name '" + s.command + "'");
    open(lp, '(');
    bool keyword_seen = false;
    while (peek().kind != Tok::RParen) {
      if (peek().kind == Tok::End) fail_at(script_, lp.pos, "unterminated '(' opened here");
      Argument a;
      a.pos = peek().pos;
      if (peek().kind == Tok::Word && tokens_[next_index()].kind == Tok::Equals) {
        a.key = take().text;
        take();  // '='
        keyword_seen = true;
      } else if (keyword_seen) {
        fail_at(script_, a.pos, "positional argument after keyword arguments (write key=value)");
      }
      a.value = value();
      s.args.push_back(std::move(a));
      if (peek().kind == Tok::Comma) take();
      else if (peek().kind != Tok::RParen) {
        if (peek().kind == Tok::End) fail_at(script_, lp.pos, "unterminated '(' opened here");
        fail_at(script_, peek().pos, "expected ',' or ')' in the arguments of '" + s.command + "', found " + shown(peek()));
      }
    }
    take();  // ')'
    close();
    return s;
  }

  size_t next_index() {
    size_t j = at_ + 1;
    while (depth_ > 0 && tokens_[j].kind == Tok::Newline) ++j;
    return j;
  }

  Value value() {
    const Token t = peek();
    Value v;
    v.pos = t.pos;
    v.text = t.text;
    switch (t.kind) {
      case Tok::Number:
        take();
        v.number = std::strtod(t.text.c_str(), nullptr);
        v.kind = t.text.find_first_of(".eE") == std::string::npos ? Value::Kind::Int : Value::Kind::Float;
        return v;
      case Tok::String: take(); v.kind = Value::Kind::String; return v;
      case Tok::Glob: take(); v.kind = Value::Kind::Glob; return v;
      case Tok::Word:
        take();
        if (t.text == "True" || t.text == "False" || t.text == "true" || t.text == "false") {
          v.kind = Value::Kind::Bool;
          v.flag = t.text[0] == 'T' || t.text[0] == 't';
        }
        return v;
      case Tok::LBracket: {
        const Token lb = take();
        open(lb, '[');
        v.kind = Value::Kind::List;
        while (peek().kind != Tok::RBracket) {
          if (peek().kind == Tok::End) fail_at(script_, lb.pos, "unterminated '[' opened here");
          v.items.push_back(value());
          if (peek().kind == Tok::Comma) take();
          else if (peek().kind != Tok::RBracket) {
            if (peek().kind == Tok::End) fail_at(script_, lb.pos, "unterminated '[' opened here");
            fail_at(script_, peek().pos, "expected ',' or ']' in the list, found " + shown(peek()));
          }
        }
        take();
        close();
        return v;
      }
      default:
        if (t.kind == Tok::End && !open_.empty()) fail_at(script_, open_.back(), std::string("unterminated '") + open_char_.back() + "' opened here");
        fail_at(script_, t.pos, "expected a value (a name, number, string, [list] or {glob}), found " + shown(t));
    }
  }

  Script& script_;
  std::vector<Token> tokens_;
  size_t at_ = 0;
  int depth_ = 0;
  std::vector<Pos> open_;
  std::vector<char> open_char_;
};

}  // namespace

void fail_at(const Script& script, Pos pos, const std::string& message, bool usage_error) {
  std::string text = message;
  if (pos.line >= 1 && static_cast<size_t>(pos.line) <= script.lines.size()) {
    // The line with a caret under the column; a long line shows 60 characters either side of it.
    const std::string& line = script.lines[static_cast<size_t>(pos.line - 1)];
    const size_t col = static_cast<size_t>(std::max(0, pos.col - 1));
    const size_t from = col > 60 ? col - 60 : 0;
    const std::string head = from > 0 ? "..." : "";
    const std::string tail = line.size() > col + 60 ? "..." : "";
    text += "\n    " + head + line.substr(std::min(from, line.size()), 120) + tail + "\n    " + std::string(head.size() + col - from, ' ') + "^";
  }
  throw Error(usage_error ? ErrorKind::Usage : ErrorKind::Parse, text, {.file = script.file, .line = pos.line, .col = pos.col});
}

Script parse_script(const std::string& text, const std::string& file) {
  Script script;
  script.file = file;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    script.lines.push_back(line);
    start = end + 1;
  }
  Parser(script, Lexer(script, text).run()).run();
  return script;
}

Script load_script(const std::string& path) { return parse_script(read_file(path), path); }

}  // namespace quant::script
