; (UTF-8 with a byte-order mark: the Chinese texts below.)
; Inno Setup 6 script: the Windows installer of Hangup Coach, from the PyInstaller bundle in dist\hangup-coach.
; UNTESTED: written from the Inno Setup documentation; these machines cannot build it. The workflow
; .github/workflows/windows-installer.yml builds it on a Windows runner and installs it silently.
;
;   iscc /DAppVersion=0.1.0 packaging\windows\hangup-coach.iss      -> dist\HangupCoach-Setup-0.1.0.exe
;
; Roll-out (as an administrator; all users of the machine):
;   HangupCoach-Setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/MERGETASKS="autostart"] [/LOG="C:\...\setup.log"]
; Removal:
;   "C:\Program Files\Hangup Coach\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Uninstall removes the program folder only: each agent's calls, notes and settings (%LOCALAPPDATA%\HangupCoach)
; and IT's machine-wide folder (%PROGRAMDATA%\Hangup Coach) stay.

; Signing (the centre's code-signing certificate; without one SmartScreen and antivirus warn): pass a
; sign tool named "centre" to iscc, and Inno Setup signs the installer and the uninstaller with it:
;   iscc /DAppVersion=0.1.0 /DSign "/Scentre=signtool sign /fd SHA256 /tr http://timestamp.example /td SHA256 /f C:\path\centre.pfx /p PASSWORD $f" packaging\windows\hangup-coach.iss
; (sign the bundle's .exe files with the same signtool command before, as the workflow does). Without
; /DSign the installer is built unsigned.

#ifndef AppVersion
  #error Pass the version from pyproject.toml: iscc /DAppVersion=X.Y.Z
#endif
#define Bundle "..\..\dist\hangup-coach"

[Setup]
; The AppId ties upgrades and the uninstaller to this product: never change it.
AppId={{E272183C-1B01-4055-89A8-D91F97F3EEF4}
AppName=Hangup Coach
AppVersion={#AppVersion}
AppVerName=Hangup Coach {#AppVersion}
AppPublisher=Hangup Coach maintainers
DefaultDirName={autopf}\Hangup Coach
DisableProgramGroupPage=yes
DisableDirPage=auto
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile=..\..\LICENSE
SetupIconFile=..\..\build\packaging\hangup-coach.ico
UninstallDisplayIcon={app}\hangup-coach.exe
OutputDir=..\..\dist
OutputBaseFilename=HangupCoach-Setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade closes a running card first (Windows Restart Manager), then replaces the files.
CloseApplications=yes
RestartApplications=no
#ifdef Sign
SignTool=centre
SignedUninstaller=yes
#endif
; Chinese or English, following Windows' display language (the wizard asks when it matches neither).
ShowLanguageDialog=auto

[Languages]
; ChineseSimplified.isl is one of Inno Setup's own translations since 6.5 (the workflow checks it is there).
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
chinesesimplified.AutostartTask=坐席登录时启动挂机助手（所有用户）
english.AutostartTask=Start the card when an agent logs in (all users)
chinesesimplified.StartNow=启动挂机助手
english.StartNow=Start Hangup Coach

[Tasks]
Name: "autostart"; Description: "{cm:AutostartTask}"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\settings.ini.example"; DestDir: "{app}"; Flags: ignoreversion

[Dirs]
; IT's machine-wide settings.ini, policy.toml, scripts\ go here; kept on uninstall.
Name: "{commonappdata}\Hangup Coach"; Flags: uninsneveruninstall

[Icons]
Name: "{autoprograms}\Hangup Coach"; Filename: "{app}\hangup-coach.exe"
; For all users, each of whom can switch it off: --autostart does nothing for an agent whose
; Settings say not to start with the session (and Task Manager's Startup tab can disable it too).
Name: "{commonstartup}\Hangup Coach"; Filename: "{app}\hangup-coach.exe"; Parameters: "--autostart"; Tasks: autostart

[Run]
Filename: "{app}\hangup-coach.exe"; Description: "{cm:StartNow}"; Flags: nowait postinstall skipifsilent
