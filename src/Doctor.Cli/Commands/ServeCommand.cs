using System.CommandLine;
using Doctor.Server.Hosting;
using Doctor.Storage;
using Doctor.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Doctor.Cli.Commands;

/// <summary><c>doctor serve</c>: the service, every API on one port.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default ./doctor-data, env DOCTOR_DATA_DIR)" };
        var urls = new Option<string?>("--urls") { Description = "Listen address (default http://127.0.0.1:12345, env DOCTOR_URLS)" };
        var policyFile = new Option<string?>("--policy-file") { Description = "Failure policy file, YAML or JSON (default: the built-in policy, env DOCTOR_POLICY_FILE)" };
        var store = new Option<string?>("--store") { Description = "Store: sqlite (default, in the data directory) or postgres (env DOCTOR_STORE)" };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string, e.g. \"Host=db;Username=doctor;Database=doctor\" (env DOCTOR_CONNECTION)" };
        var controller = new Option<string?>("--controller") { Description = "Who keeps the resource map: embedded (default) or openstack (settings Doctor:OpenStack:*, OS_* variables; env DOCTOR_CONTROLLER)" };
        var command = new Command("serve", "Run the Doctor service") { dataDir, urls, policyFile, store, connection, controller };
        command.SetAction(async (result, cancellationToken) =>
        {
            // A setting or a store that cannot be used is the operator's to fix: one line naming it, not a stack trace.
            try
            {
                var app = DoctorApp.Create([], options =>
                {
                    options.DataDir = result.GetValue(dataDir) ?? options.DataDir;
                    options.Urls = result.GetValue(urls) ?? options.Urls;
                    options.PolicyFile = result.GetValue(policyFile) ?? options.PolicyFile;
                    options.Store = result.GetValue(store) ?? options.Store;
                    options.Connection = result.GetValue(connection) ?? options.Connection;
                    options.Controller = result.GetValue(controller) ?? options.Controller;
                });
                // Checked before the host starts: a failed hosted service is logged with its whole stack.
                if (app.Services.GetRequiredService<IDoctorStore>() is PostgresStore postgres && await postgres.ProbeAsync(cancellationToken) is { } unreachable)
                {
                    await Console.Error.WriteLineAsync($"doctor serve: {unreachable}");
                    return 1;
                }

                await app.RunAsync();
                return 0;
            }
            catch (OptionsValidationException invalid)
            {
                foreach (var failure in invalid.Failures)
                    await Console.Error.WriteLineAsync($"doctor serve: {failure}");
                return 2;
            }
            catch (StoreUnavailableException unavailable)
            {
                await Console.Error.WriteLineAsync($"doctor serve: {unavailable.Message}");
                return 1;
            }
        });
        return command;
    }
}
