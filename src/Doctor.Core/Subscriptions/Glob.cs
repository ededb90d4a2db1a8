namespace Doctor.Subscriptions;

/// <summary>Shell-style patterns over fault and event types: <c>*</c> any run, <c>?</c> one character.</summary>
public static class Glob
{
    public static bool IsMatch(string pattern, string text) => IsMatch(pattern.AsSpan(), text.AsSpan());

    private static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        // Iterative matcher with one backtrack point: linear for the patterns operators write.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}
