using AiMoviez.Perf;

return await PerfProgram.RunAsync(args);
