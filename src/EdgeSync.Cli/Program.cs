using System.Runtime.InteropServices;
using EdgeSync.Cli;

using var cancellation = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return CliApp.Run(args, Console.Out, Console.Error, cancellation.Token);

// The first Ctrl-C (or SIGTERM) asks the command to stop cleanly; a second one while it is stopping ends the process.
void Stop(PosixSignalContext signal)
{
    signal.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
}
