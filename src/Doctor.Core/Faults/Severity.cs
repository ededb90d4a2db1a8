namespace Doctor.Faults;

/// <summary>X.733 perceived severity, ordered so that a larger value is more severe.</summary>
public enum Severity
{
    Indeterminate = 0,
    Warning = 1,
    Minor = 2,
    Major = 3,
    Critical = 4,
}

/// <summary>Wire names of <see cref="Severity"/>.</summary>
public static class Severities
{
    public static string Name(this Severity severity) => severity switch
    {
        Severity.Critical => "critical",
        Severity.Major => "major",
        Severity.Minor => "minor",
        Severity.Warning => "warning",
        _ => "indeterminate",
    };

    public static bool TryParse(string? text, out Severity severity)
    {
        switch (text?.ToLowerInvariant())
        {
            case "critical": severity = Severity.Critical; return true;
            case "major": severity = Severity.Major; return true;
            case "minor": severity = Severity.Minor; return true;
            case "warning": severity = Severity.Warning; return true;
            case "indeterminate": severity = Severity.Indeterminate; return true;
            default: severity = default; return false;
        }
    }
}
