using System.Text;

namespace EdgeSync.Tests.Architecture;

/// <summary>
/// The string literals of a C# source file, with the line each starts on: regular, verbatim, raw and interpolated
/// strings (an interpolation hole is scanned as code, so a string inside it is a literal of its own, and the hole
/// itself reads as <c>{}</c> in the text). Comments and character literals are skipped. Enough of C#'s lexical
/// grammar to tell SQL in a string from the same words in a comment or an identifier.
/// </summary>
internal sealed class StringLiterals
{
    private readonly string _text;
    private readonly List<(int Line, string Text)> _found = [];
    private int _pos;

    private StringLiterals(string text) => _text = text;

    public static IReadOnlyList<(int Line, string Text)> Read(string source)
    {
        var scanner = new StringLiterals(source);
        scanner.Code(inHole: false);
        return scanner._found;
    }

    private char At(int offset) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private int LineAt(int pos) => 1 + _text.AsSpan(0, Math.Min(pos, _text.Length)).Count('\n');

    /// <summary>Scans code up to the end, or in a hole up to its closing brace (consumed).</summary>
    private void Code(bool inHole)
    {
        int depth = 0;
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '/' && At(1) == '/')
            {
                int end = _text.IndexOf('\n', _pos);
                _pos = end < 0 ? _text.Length : end;
            }
            else if (c == '/' && At(1) == '*')
            {
                int end = _text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                _pos = end < 0 ? _text.Length : end + 2;
            }
            else if (c == '\'')
            {
                _pos++;
                while (_pos < _text.Length && _text[_pos] != '\'')
                {
                    _pos += _text[_pos] == '\\' ? 2 : 1;
                }

                _pos++;
            }
            else if (c is '"' or '$' or '@' && StringStart() is { } prefix)
            {
                StringLiteral(prefix.Dollars, prefix.Verbatim);
            }
            else if (c == '{')
            {
                depth++;
                _pos++;
            }
            else if (c == '}')
            {
                _pos++;
                if (depth == 0 && inHole)
                {
                    return;
                }

                depth--;
            }
            else
            {
                _pos++;
            }
        }
    }

    /// <summary>When a string literal starts here: how many <c>$</c> it has and whether it is verbatim; the position moves to its first quote.</summary>
    private (int Dollars, bool Verbatim)? StringStart()
    {
        int p = _pos;
        int dollars = 0;
        bool verbatim = false;
        while (p < _text.Length && (_text[p] == '$' || _text[p] == '@'))
        {
            dollars += _text[p] == '$' ? 1 : 0;
            verbatim |= _text[p] == '@';
            p++;
        }

        if (p >= _text.Length || _text[p] != '"')
        {
            return null; // "@name" (an identifier), or a lone '$'
        }

        _pos = p;
        return (dollars, verbatim);
    }

    private void StringLiteral(int dollars, bool verbatim)
    {
        int start = _pos;
        int quotes = 0;
        while (At(quotes) == '"')
        {
            quotes++;
        }

        var text = new StringBuilder();
        if (quotes >= 3)
        {
            // Raw string: up to the same run of quotes; holes open with as many braces as the literal has '$'.
            string close = new('"', quotes);
            int end = _text.IndexOf(close, _pos + quotes, StringComparison.Ordinal);
            end = end < 0 ? _text.Length : end;
            text.Append(_text, _pos + quotes, end - _pos - quotes);
            _pos = Math.Min(_text.Length, end + quotes);
            _found.Add((LineAt(start), text.ToString()));
            return;
        }

        _pos++; // the opening quote
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '"')
            {
                if (verbatim && At(1) == '"')
                {
                    text.Append('"');
                    _pos += 2;
                    continue;
                }

                _pos++;
                break;
            }

            if (c == '\\' && !verbatim)
            {
                text.Append(At(1));
                _pos += 2;
            }
            else if (dollars > 0 && c == '{' && At(1) == '{')
            {
                text.Append('{');
                _pos += 2;
            }
            else if (dollars > 0 && c == '}' && At(1) == '}')
            {
                text.Append('}');
                _pos += 2;
            }
            else if (dollars > 0 && c == '{')
            {
                _pos++;
                Code(inHole: true); // an interpolation hole: code, which may hold strings of its own
                text.Append("{}");
            }
            else
            {
                text.Append(c);
                _pos++;
            }
        }

        _found.Add((LineAt(start), text.ToString()));
    }
}
