namespace Doctor.Serialization;

/// <summary>Shared field rules of SPEC §1.</summary>
public static class Fields
{
    private static readonly HashSet<string> IdentifierDetails = new(StringComparer.Ordinal)
    {
        "hostname", "device_id", "server_id", "port_id", "monitor_id", "monitor_event_id", "nic",
    };

    /// <summary>1–255 characters, none of them a control character (so NUL can serve as an internal separator).</summary>
    public static bool IsIdentifier(string? value)
    {
        if (value is null || value.Length is 0 or > DoctorConstants.MaxIdentifierLength)
            return false;
        foreach (var c in value)
        {
            if (char.IsControl(c) || char.IsSurrogate(c) && !IsWellFormed(value))
                return false;
        }

        return true;
    }

    /// <summary>Details that name a resource follow the identifier rules, not the free-text ones.</summary>
    public static bool IsIdentifierDetail(string key) => IdentifierDetails.Contains(key);

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                    return false;
                i++;
            }
            else if (char.IsLowSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
