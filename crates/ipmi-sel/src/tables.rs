//! Name tables from the IPMI 2.0 specification (rev 1.1): sensor types
//! (table 42-3), generic event/reading type offsets (table 42-2),
//! sensor-specific offsets (table 42-3) and system software IDs (table 5-4).

/// Name of a sensor type code (IPMI 2.0 table 42-3). OEM codes (0xC0-0xFF)
/// and reserved codes get a generic name.
pub fn sensor_type_name(code: u8) -> &'static str {
    match code {
        0x00 => "Reserved",
        0x01 => "Temperature",
        0x02 => "Voltage",
        0x03 => "Current",
        0x04 => "Fan",
        0x05 => "Physical Security",
        0x06 => "Platform Security Violation Attempt",
        0x07 => "Processor",
        0x08 => "Power Supply",
        0x09 => "Power Unit",
        0x0A => "Cooling Device",
        0x0B => "Other Units-based Sensor",
        0x0C => "Memory",
        0x0D => "Drive Slot (Bay)",
        0x0E => "POST Memory Resize",
        0x0F => "System Firmware Progress",
        0x10 => "Event Logging Disabled",
        0x11 => "Watchdog 1",
        0x12 => "System Event",
        0x13 => "Critical Interrupt",
        0x14 => "Button / Switch",
        0x15 => "Module / Board",
        0x16 => "Microcontroller / Coprocessor",
        0x17 => "Add-in Card",
        0x18 => "Chassis",
        0x19 => "Chip Set",
        0x1A => "Other FRU",
        0x1B => "Cable / Interconnect",
        0x1C => "Terminator",
        0x1D => "System Boot / Restart Initiated",
        0x1E => "Boot Error",
        0x1F => "Base OS Boot / Installation Status",
        0x20 => "OS Stop / Shutdown",
        0x21 => "Slot / Connector",
        0x22 => "System ACPI Power State",
        0x23 => "Watchdog 2",
        0x24 => "Platform Alert",
        0x25 => "Entity Presence",
        0x26 => "Monitor ASIC / IC",
        0x27 => "LAN",
        0x28 => "Management Subsystem Health",
        0x29 => "Battery",
        0x2A => "Session Audit",
        0x2B => "Version Change",
        0x2C => "FRU State",
        0xC0..=0xFF => "OEM",
        _ => "Reserved",
    }
}

/// Reverse lookup of a sensor type name (as Redfish `SensorType` spells it,
/// compared case-insensitively and ignoring spaces, `/`, `-` and brackets).
pub fn sensor_type_code(name: &str) -> Option<u8> {
    fn norm(s: &str) -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    }
    let want = norm(name);
    if want.is_empty() {
        return None;
    }
    // Redfish spells a few differently.
    match want.as_str() {
        "driveslotbay" | "driveslot" => return Some(0x0D),
        "chipset" => return Some(0x19),
        "watchdog" => return Some(0x23),
        _ => {}
    }
    (0x01u8..=0x2C).find(|&c| norm(sensor_type_name(c)) == want)
}

/// Offset descriptions of the generic event/reading types 0x01-0x0C
/// (IPMI 2.0 table 42-2).
pub fn generic_offset(event_type: u8, offset: u8) -> Option<&'static str> {
    let t: &[&str] = match event_type {
        0x01 => &[
            "Lower Non-critical going low",
            "Lower Non-critical going high",
            "Lower Critical going low",
            "Lower Critical going high",
            "Lower Non-recoverable going low",
            "Lower Non-recoverable going high",
            "Upper Non-critical going low",
            "Upper Non-critical going high",
            "Upper Critical going low",
            "Upper Critical going high",
            "Upper Non-recoverable going low",
            "Upper Non-recoverable going high",
        ],
        0x02 => &[
            "Transition to Idle",
            "Transition to Active",
            "Transition to Busy",
        ],
        0x03 => &["State Deasserted", "State Asserted"],
        0x04 => &[
            "Predictive Failure deasserted",
            "Predictive Failure asserted",
        ],
        0x05 => &["Limit Not Exceeded", "Limit Exceeded"],
        0x06 => &["Performance Met", "Performance Lags"],
        0x07 => &[
            "Transition to OK",
            "Transition to Non-Critical from OK",
            "Transition to Critical from less severe",
            "Transition to Non-recoverable from less severe",
            "Transition to Non-Critical from more severe",
            "Transition to Critical from Non-recoverable",
            "Transition to Non-recoverable",
            "Monitor",
            "Informational",
        ],
        0x08 => &[
            "Device Removed / Device Absent",
            "Device Inserted / Device Present",
        ],
        0x09 => &["Device Disabled", "Device Enabled"],
        0x0A => &[
            "Transition to Running",
            "Transition to In Test",
            "Transition to Power Off",
            "Transition to On Line",
            "Transition to Off Line",
            "Transition to Off Duty",
            "Transition to Degraded",
            "Transition to Power Save",
            "Install Error",
        ],
        0x0B => &[
            "Fully Redundant",
            "Redundancy Lost",
            "Redundancy Degraded",
            "Non-redundant: Sufficient Resources from Redundant",
            "Non-redundant: Sufficient Resources from Insufficient Resources",
            "Non-redundant: Insufficient Resources",
            "Redundancy Degraded from Fully Redundant",
            "Redundancy Degraded from Non-redundant",
        ],
        0x0C => &[
            "D0 Power State",
            "D1 Power State",
            "D2 Power State",
            "D3 Power State",
        ],
        _ => return None,
    };
    t.get(usize::from(offset)).copied()
}

/// Offset descriptions of sensor-specific events (event/reading type 0x6F),
/// IPMI 2.0 table 42-3.
pub fn sensor_specific_offset(sensor_type: u8, offset: u8) -> Option<&'static str> {
    let t: &[&str] = match sensor_type {
        0x05 => &[
            "General Chassis Intrusion",
            "Drive Bay intrusion",
            "I/O Card area intrusion",
            "Processor area intrusion",
            "LAN Leash Lost (system is unplugged from LAN)",
            "Unauthorized dock",
            "FAN area intrusion",
        ],
        0x06 => &[
            "Secure Mode (Front Panel Lockout) Violation attempt",
            "Pre-boot Password Violation - user password",
            "Pre-boot Password Violation attempt - setup password",
            "Pre-boot Password Violation - network boot password",
            "Other pre-boot Password Violation",
            "Out-of-band Access Password Violation",
        ],
        0x07 => &[
            "IERR",
            "Thermal Trip",
            "FRB1/BIST failure",
            "FRB2/Hang in POST failure",
            "FRB3/Processor Startup/Initialization failure",
            "Configuration Error",
            "SM BIOS 'Uncorrectable CPU-complex Error'",
            "Processor Presence detected",
            "Processor disabled",
            "Terminator Presence Detected",
            "Processor Automatically Throttled",
            "Machine Check Exception (Uncorrectable)",
            "Correctable Machine Check Error",
        ],
        0x08 => &[
            "Presence detected",
            "Power Supply Failure detected",
            "Predictive Failure",
            "Power Supply input lost (AC/DC)",
            "Power Supply input lost or out-of-range",
            "Power Supply input out-of-range, but present",
            "Configuration error",
            "Power Supply Inactive (in standby state)",
        ],
        0x09 => &[
            "Power Off / Power Down",
            "Power Cycle",
            "240VA Power Down",
            "Interlock Power Down",
            "AC lost / Power input lost",
            "Soft Power Control Failure",
            "Power Unit Failure detected",
            "Predictive Failure",
        ],
        0x0C => &[
            "Correctable ECC / other correctable memory error",
            "Uncorrectable ECC / other uncorrectable memory error",
            "Parity",
            "Memory Scrub Failed (stuck bit)",
            "Memory Device Disabled",
            "Correctable ECC / other correctable memory error logging limit reached",
            "Presence detected",
            "Configuration error",
            "Spare",
            "Memory Automatically Throttled",
            "Critical Overtemperature",
        ],
        0x0D => &[
            "Drive Presence",
            "Drive Fault",
            "Predictive Failure",
            "Hot Spare",
            "Consistency Check / Parity Check in progress",
            "In Critical Array",
            "In Failed Array",
            "Rebuild/Remap in progress",
            "Rebuild/Remap Aborted",
        ],
        0x0F => &[
            "System Firmware Error (POST Error)",
            "System Firmware Hang",
            "System Firmware Progress",
        ],
        0x10 => &[
            "Correctable Memory Error Logging Disabled",
            "Event 'Type' Logging Disabled",
            "Log Area Reset/Cleared",
            "All Event Logging Disabled",
            "SEL Full",
            "SEL Almost Full",
            "Correctable Machine Check Error Logging Disabled",
        ],
        0x11 => &[
            "BIOS Watchdog Reset",
            "OS Watchdog Reset",
            "OS Watchdog Shut Down",
            "OS Watchdog Power Down",
            "OS Watchdog Power Cycle",
            "OS Watchdog NMI / Diagnostic Interrupt",
            "OS Watchdog Expired, status only",
            "OS Watchdog pre-timeout Interrupt, non-NMI",
        ],
        0x12 => &[
            "System Reconfigured",
            "OEM System Boot Event",
            "Undetermined system hardware failure",
            "Entry added to Auxiliary Log",
            "PEF Action",
            "Timestamp Clock Synch",
        ],
        0x13 => &[
            "Front Panel NMI / Diagnostic Interrupt",
            "Bus Timeout",
            "I/O channel check NMI",
            "Software NMI",
            "PCI PERR",
            "PCI SERR",
            "EISA Fail Safe Timeout",
            "Bus Correctable Error",
            "Bus Uncorrectable Error",
            "Fatal NMI",
            "Bus Fatal Error",
            "Bus Degraded",
        ],
        0x14 => &[
            "Power Button pressed",
            "Sleep Button pressed",
            "Reset Button pressed",
            "FRU latch open",
            "FRU service request button",
        ],
        0x19 => &["Soft Power Control Failure", "Thermal Trip"],
        0x1B => &[
            "Cable/Interconnect is connected",
            "Configuration Error - Incorrect cable connected / Incorrect interconnection",
        ],
        0x1D => &[
            "Initiated by power up",
            "Initiated by hard reset",
            "Initiated by warm reset",
            "User requested PXE boot",
            "Automatic boot to diagnostic",
            "OS / run-time software initiated hard reset",
            "OS / run-time software initiated warm reset",
            "System Restart",
        ],
        0x1E => &[
            "No bootable media",
            "Non-bootable diskette left in drive",
            "PXE Server not found",
            "Invalid boot sector",
            "Timeout waiting for user selection of boot source",
        ],
        0x1F => &[
            "A: boot completed",
            "C: boot completed",
            "PXE boot completed",
            "Diagnostic boot completed",
            "CD-ROM boot completed",
            "ROM boot completed",
            "boot completed - boot device not specified",
            "Base OS/Hypervisor Installation started",
            "Base OS/Hypervisor Installation completed",
            "Base OS/Hypervisor Installation aborted",
            "Base OS/Hypervisor Installation failed",
        ],
        0x20 => &[
            "Critical stop during OS load / initialization",
            "Run-time Critical Stop",
            "OS Graceful Stop",
            "OS Graceful Shutdown",
            "Soft Shutdown initiated by PEF",
            "Agent Not Responding",
        ],
        0x21 => &[
            "Fault Status asserted",
            "Identify Status asserted",
            "Slot / Connector Device installed/attached",
            "Slot / Connector Ready for Device Installation",
            "Slot/Connector Ready for Device Removal",
            "Slot Power is Off",
            "Slot / Connector Device Removal Request",
            "Interlock asserted",
            "Slot is Disabled",
            "Slot holds spare device",
        ],
        0x22 => &[
            "S0 / G0 \"working\"",
            "S1 \"sleeping with system h/w & processor context maintained\"",
            "S2 \"sleeping, processor context lost\"",
            "S3 \"sleeping, processor & h/w context lost, memory retained\"",
            "S4 \"non-volatile sleep / suspend-to disk\"",
            "S5 / G2 \"soft-off\"",
            "S4 / S5 soft-off, particular S4 / S5 state cannot be determined",
            "G3 / Mechanical Off",
            "Sleeping in an S1, S2, or S3 states",
            "G1 sleeping",
            "S5 entered by override",
            "Legacy ON state",
            "Legacy OFF state",
            "Reserved",
            "Unknown",
        ],
        0x23 => &[
            "Timer expired, status only",
            "Hard Reset",
            "Power Down",
            "Power Cycle",
            "Reserved",
            "Reserved",
            "Reserved",
            "Reserved",
            "Timer interrupt",
        ],
        0x24 => &[
            "platform generated page",
            "platform generated LAN alert",
            "Platform Event Trap generated",
            "platform generated SNMP trap, OEM format",
        ],
        0x25 => &["Entity Present", "Entity Absent", "Entity Disabled"],
        0x27 => &["LAN Heartbeat Lost", "LAN Heartbeat"],
        0x28 => &[
            "sensor access degraded or unavailable",
            "controller access degraded or unavailable",
            "management controller off-line",
            "management controller unavailable",
            "Sensor failure",
            "FRU failure",
        ],
        0x29 => &[
            "battery low (predictive failure)",
            "battery failed",
            "battery presence detected",
        ],
        0x2A => &[
            "Session Activated",
            "Session Deactivated",
            "Invalid Username or Password",
            "Invalid password disable",
        ],
        0x2B => &[
            "Hardware change detected with associated Entity",
            "Firmware or software change detected with associated Entity",
            "Hardware incompatibility detected with associated Entity",
            "Firmware or software incompatibility detected with associated Entity",
            "Entity is of an invalid or unsupported hardware version",
            "Entity contains an invalid or unsupported firmware or software version",
            "Hardware Change detected with associated Entity was successful",
            "Software or F/W Change detected with associated Entity was successful",
        ],
        0x2C => &[
            "FRU Not Installed",
            "FRU Inactive",
            "FRU Activation Requested",
            "FRU Activation In Progress",
            "FRU Active",
            "FRU Deactivation Requested",
            "FRU Deactivation In Progress",
            "FRU Communication Lost",
        ],
        _ => return None,
    };
    t.get(usize::from(offset)).copied()
}

/// System Firmware Progress (0x0F) offset 0 "POST Error": event data 2
/// codes (IPMI 2.0 table 42-3).
pub fn firmware_error_code(code: u8) -> Option<&'static str> {
    const T: &[&str] = &[
        "Unspecified",
        "No system memory is physically installed in the system",
        "No usable system memory, all installed memory has experienced an unrecoverable failure",
        "Unrecoverable hard-disk/ATAPI/IDE device failure",
        "Unrecoverable system-board failure",
        "Unrecoverable diskette subsystem failure",
        "Unrecoverable hard-disk controller failure",
        "Unrecoverable PS/2 or USB keyboard failure",
        "Removable boot media not found",
        "Unrecoverable video controller failure",
        "No video device detected",
        "Firmware (BIOS) ROM corruption detected",
        "CPU voltage mismatch",
        "CPU speed matching failure",
    ];
    T.get(usize::from(code)).copied()
}

/// System Firmware Progress (0x0F) offsets 1 and 2: event data 2 progress
/// codes (IPMI 2.0 table 42-3).
pub fn firmware_progress_code(code: u8) -> Option<&'static str> {
    const T: &[&str] = &[
        "Unspecified",
        "Memory initialization",
        "Hard-disk initialization",
        "Secondary processor(s) initialization",
        "User authentication",
        "User-initiated system setup",
        "USB resource configuration",
        "PCI resource configuration",
        "Option ROM initialization",
        "Video initialization",
        "Cache initialization",
        "SM Bus initialization",
        "Keyboard controller initialization",
        "Embedded controller/management controller initialization",
        "Docking station attachment",
        "Enabling docking station",
        "Docking station ejection",
        "Disabling docking station",
        "Calling operating system wake-up vector",
        "Starting operating system boot process",
        "Baseboard or motherboard initialization",
        "reserved",
        "Floppy initialization",
        "Keyboard test",
        "Pointing device test",
        "Primary processor initialization",
    ];
    T.get(usize::from(code)).copied()
}

/// Kind of system software that owns an 8-bit software ID as it appears in
/// the generator ID byte (IPMI 2.0 table 5-4, bit 0 set).
pub fn software_id_kind(byte: u8) -> &'static str {
    match byte {
        0x01..=0x1F => "BIOS",
        0x21..=0x3F => "SMI Handler",
        0x41..=0x5F => "System Management Software",
        0x61..=0x7F => "OEM",
        0x81..=0x8D => "Remote Console software",
        0x8F => "Terminal Mode Remote Console software",
        _ => "Reserved",
    }
}
