using System.CommandLine;
using Doctor.Server.Hosting;

namespace Doctor.Cli.Commands;

/// <summary><c>doctor serve</c>: the service, every API on one port.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default ./doctor-data, env DOCTOR_DATA_DIR)" };
        var urls = new Option<string?>("--urls") { Description = "Listen address (default http://127.0.0.1:12345, env DOCTOR_URLS)" };
        var policyFile = new Option<string?>("--policy-file") { Description = "Failure policy file, YAML or JSON (default: the built-in policy, env DOCTOR_POLICY_FILE)" };
        var command = new Command("serve", "Run the Doctor service") { dataDir, urls, policyFile };
        command.SetAction(async (result, cancellationToken) =>
        {
            var app = DoctorApp.Create([], options =>
            {
                options.DataDir = result.GetValue(dataDir) ?? options.DataDir;
                options.Urls = result.GetValue(urls) ?? options.Urls;
                options.PolicyFile = result.GetValue(policyFile) ?? options.PolicyFile;
            });
            await app.RunAsync();
            return 0;
        });
        return command;
    }
}
