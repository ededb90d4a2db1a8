namespace Doctor.Access;

/// <summary>The three caller roles of SPEC §1.</summary>
public enum Role
{
    Admin,
    Monitor,
    Project,
}

/// <summary>Wire names of <see cref="Role"/>.</summary>
public static class Roles
{
    public static string Name(this Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Monitor => "monitor",
        _ => "project",
    };

    public static bool TryParse(string? text, out Role role)
    {
        switch (text)
        {
            case "admin": role = Role.Admin; return true;
            case "monitor": role = Role.Monitor; return true;
            case "project": role = Role.Project; return true;
            default: role = default; return false;
        }
    }
}
