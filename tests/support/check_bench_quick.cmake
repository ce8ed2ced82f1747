# Runs `taskactors-bench --quick --json` and fails unless every workload printed its keys.
#   cmake -D BENCH=path/to/taskactors-bench -P check_bench_quick.cmake
execute_process(COMMAND "${BENCH}" --quick --json RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "taskactors-bench --quick failed (${rc}):\n${out}\n${err}")
endif()

# The result lines, each one JSON object: `workloads` lists their workloads in order, and
# `line_<workload>_<system>` holds the first line of each pair.
function(read_results text)
  string(REPLACE ";" "\\;" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(seen "")
  foreach(line IN LISTS lines)
    if(line STREQUAL "")
      continue()
    endif()
    string(JSON workload ERROR_VARIABLE bad GET "${line}" workload)
    if(bad)
      message(FATAL_ERROR "not a JSON result line on stdout: ${line}")
    endif()
    string(JSON system GET "${line}" system)
    list(APPEND seen "${workload}")
    if(NOT DEFINED "line_${workload}_${system}")
      set("line_${workload}_${system}" "${line}" PARENT_SCOPE)
    endif()
  endforeach()
  set(workloads "${seen}" PARENT_SCOPE)
endfunction()

read_results("${out}")
set(expect
  "spawn:seconds,tasks_per_s" "hold:create_s,kb_per_task" "gather-io:seconds,ideal_s,efficiency"
  "cancel:p50_us,p99_us" "timeout:p50_ms,p99_ms" "cpu:seconds,speedup,efficiency,cores"
  "proc-rt:p50_us,p99_us" "thread-rt:p50_us,p99_us,per_s" "scale:us_per_task,kb_per_task"
  "models:create_s,rss_mb")
foreach(item IN LISTS expect)
  string(REPLACE ":" ";" parts "${item}")
  list(GET parts 0 workload)
  list(GET parts 1 keys)
  string(REPLACE "," ";" keys "${keys}")
  if(NOT DEFINED "line_${workload}_taskactors")
    message(FATAL_ERROR "no taskactors result for workload '${workload}':\n${out}\n${err}")
  endif()
  set(line "${line_${workload}_taskactors}")
  foreach(key IN LISTS keys)
    string(JSON value ERROR_VARIABLE missing GET "${line}" "${key}")
    if(missing)
      message(FATAL_ERROR "workload '${workload}' printed no '${key}': ${line}")
    endif()
    string(JSON type TYPE "${line}" "${key}")
    if(NOT type STREQUAL "NUMBER")
      message(FATAL_ERROR "workload '${workload}': '${key}' is not a number: ${line}")
    endif()
  endforeach()
endforeach()
message(STATUS "every workload ran and printed its keys")

# A list runs those workloads in the order given; an unknown name is refused by name.
execute_process(COMMAND "${BENCH}" --quick --json --workload cancel,spawn --system taskactors
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "taskactors-bench --workload cancel,spawn failed (${rc}):\n${out}\n${err}")
endif()
read_results("${out}")
if(NOT workloads STREQUAL "cancel;spawn")
  message(FATAL_ERROR "--workload cancel,spawn ran: ${workloads}\n${out}")
endif()
execute_process(COMMAND "${BENCH}" --workload spawn,nope RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "unknown workload 'nope'")
  message(FATAL_ERROR "--workload spawn,nope: exit ${rc}, stderr:\n${err}")
endif()
message(STATUS "a list of workloads ran in its order; an unknown one was refused")
