"""ZIR test programs for hot swapping: a main loop with a 4-digit counter in stack slots that calls ``@step``.

Every iteration prints one line ``NNNN <what @step prints>``: four writes of the counter's digit slots, a
space, then ``@step``. The counter lives in ``@main``'s frame, which is never replaced, so consecutive lines
count on across swaps. ``@step``'s body and any extra decls are parameters.
"""

from __future__ import annotations

HEADER = """\
@noreturn = primitive(noreturn)
@void = primitive(void)
@usize = primitive(usize)
@0 = int(0)
@1 = int(1)
@syscall = str("syscall")
@rax = str("{rax}")
@rdi = str("{rdi}")
@rsi = str("{rsi}")
@rdx = str("{rdx}")
@ret = str("={rax}")
@rcx = str("rcx")
@r11 = str("r11")
@memory = str("memory")
@sys_write = int(1)
@sys_poll = int(7)
@sys_ptrace = int(101)
@sys_exit = int(231)
@zero_char = int(48)
@nine_char = int(57)
@space = str(" ")
@len_name = str("len")

@print_fnty = fntype([@usize, @usize], @void)
@print = fn(@print_fnty, {
  %p = arg("p")
  %n = arg("n")
  %w = asm(@syscall, @usize, volatile=1, output=@ret, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11, @memory], args=[@sys_write, @1, %p, %n])
  %r = returnvoid()
})

@sleep_fnty = fntype([@usize], @void)
@sleep = fn(@sleep_fnty, {
  %ms = arg("ms")
  %w = asm(@syscall, @usize, volatile=1, output=@ret, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11, @memory], args=[@sys_poll, @0, @0, %ms])
  %r = returnvoid()
})
"""

MAIN = """\
@period_ms = int({period})
@iterations = int({iterations})

@add_digit_fnty = fntype([@usize, @usize], @usize)
@add_digit = fn(@add_digit_fnty, {{
  %d = arg("d")
  %c = arg("c")
  %s = add(%d, %c)
  %nine = as(@usize, @nine_char)
  %k = cmp_gt(%s, %nine)
  %r = condbr(%k, {{
    %zero = as(@usize, @zero_char)
    %x = return(%zero)
  }}, {{
    %y = return(%s)
  }})
}})

@carry_fnty = fntype([@usize, @usize], @usize)
@carry = fn(@carry_fnty, {{
  %old = arg("old")
  %new = arg("new")
  %k = cmp_lt(%new, %old)
  %r = condbr(%k, {{
    %one = as(@usize, @1)
    %x = return(%one)
  }}, {{
    %zero = as(@usize, @0)
    %y = return(%zero)
  }})
}})

@main_fnty = fntype([], @void)
@main = fn(@main_fnty, {{
{prelude}  %zero = as(@usize, @zero_char)
  %i = alloc(@usize)
  %s0 = store(%i, @0)
  %d3 = alloc(@usize)
  %s1 = store(%d3, %zero)
  %d2 = alloc(@usize)
  %s2 = store(%d2, %zero)
  %d1 = alloc(@usize)
  %s3 = store(%d1, %zero)
  %d0 = alloc(@usize)
  %s4 = store(%d0, %zero)
  %l = loop({{
    %a3 = ptrtoint(%d3)
    %w3 = asm(@syscall, @usize, volatile=1, output=@ret, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11, @memory], args=[@sys_write, @1, %a3, @1])
    %a2 = ptrtoint(%d2)
    %w2 = asm(@syscall, @usize, volatile=1, output=@ret, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11, @memory], args=[@sys_write, @1, %a2, @1])
    %a1 = ptrtoint(%d1)
    %w1 = asm(@syscall, @usize, volatile=1, output=@ret, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11, @memory], args=[@sys_write, @1, %a1, @1])
    %a0 = ptrtoint(%d0)
    %w0 = asm(@syscall, @usize, volatile=1, output=@ret, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11, @memory], args=[@sys_write, @1, %a0, @1])
    %sp = ptrtoint(@space)
    %c0 = call(@print, [%sp, @1])
    %c = call(@step, [{step_args}])
    %v0 = deref(%d0)
    %n0 = call(@add_digit, [%v0, @1])
    %u0 = store(%d0, %n0)
    %k0 = call(@carry, [%v0, %n0])
    %v1 = deref(%d1)
    %n1 = call(@add_digit, [%v1, %k0])
    %u1 = store(%d1, %n1)
    %k1 = call(@carry, [%v1, %n1])
    %v2 = deref(%d2)
    %n2 = call(@add_digit, [%v2, %k1])
    %u2 = store(%d2, %n2)
    %k2 = call(@carry, [%v2, %n2])
    %v3 = deref(%d3)
    %n3 = call(@add_digit, [%v3, %k2])
    %u3 = store(%d3, %n3)
    %iv = deref(%i)
    %one = as(@usize, @1)
    %in = add(%iv, %one)
    %s5 = store(%i, %in)
    %iters = as(@usize, @iterations)
    %done = cmp_gte(%in, %iters)
    %e = condbr(%done, {{
      %rv = returnvoid()
    }}, {{
      %z = call(@sleep, [@period_ms])
    }})
  }})
}})

@start_fnty = fntype([], @noreturn, cc=Naked)
@start = fn(@start_fnty, {{
  %m = call(@main, [])
  %x = asm(@syscall, @usize, volatile=1, inputs=[@rax, @rdi], args=[@sys_exit, @0])
  %u = unreachable()
}})
@start_sym = str("_start")
@start_export = export(@start_sym, "start")
"""

TRACEME = """\
  %tm = asm(@syscall, @usize, volatile=1, output=@ret, inputs=[@rax, @rdi, @rsi, @rdx], clobbers=[@rcx, @r11, @memory], args=[@sys_ptrace, @0, @0, @0])
"""
"""``PTRACE_TRACEME`` as ``@main``'s first instruction: the program is then traced by its parent's ptrace
link, and no one else may seize it."""


def print_text(name: str, text: str) -> str:
    """Body lines printing the string literal ``text`` (local names prefixed by ``name``)."""
    literal = text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return (
        f'  %{name}_s = str("{literal}")\n'
        f"  %{name}_a = ptrtoint(%{name}_s)\n"
        f"  %{name}_lp = fieldptr(%{name}_s, @len_name)\n"
        f"  %{name}_l = deref(%{name}_lp)\n"
        f"  %{name}_c = call(@print, [%{name}_a, %{name}_l])\n"
    )


def print_decl(name: str, decl: str) -> str:
    """Body lines printing the string decl ``@decl``."""
    return (
        f"  %{name}_a = ptrtoint(@{decl})\n"
        f"  %{name}_lp = fieldptr(@{decl}, @len_name)\n"
        f"  %{name}_l = deref(%{name}_lp)\n"
        f"  %{name}_c = call(@print, [%{name}_a, %{name}_l])\n"
    )


def function(name: str, body: str, params: str = "", fnty: str | None = None) -> str:
    """A ``void`` function ``@name`` with ``body`` (lines ending in newlines)."""
    ty = fnty or f"{name}_fnty"
    decl_ty = f"@{ty} = fntype([{params}], @void)\n" if fnty is None else ""
    return f"{decl_ty}@{name} = fn(@{ty}, {{\n{body}  %ret = returnvoid()\n}})\n"


def program(
    step_body: str,
    extra: str = "",
    *,
    step_params: str = "",
    step_args: str = "",
    period: int = 1,
    iterations: int = 9999,
    traceme: bool = False,
    prelude: str = "",
) -> str:
    """The whole program: header, ``extra`` decls, ``@step`` and the main loop."""
    return (
        HEADER
        + "\n"
        + extra
        + "\n"
        + function("step", step_body, step_params)
        + "\n"
        + MAIN.format(
            period=period, iterations=iterations, step_args=step_args, prelude=(TRACEME if traceme else "") + prelude
        )
    )
